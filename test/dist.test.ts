/**
 * D2, D4: the committed dist/ (the reviewed manifests) is exactly what a fresh `cdk8s synth` writes;
 * the field-level assertions are in chart.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]));
}

test('D2 D4 the committed dist/ equals a fresh cdk8s synth (run `npx cdk8s synth` and commit dist/ when this fails)', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-synth-'));
  try {
    // ts-node transpiles only: `npm run typecheck` checks the types, here only the output counts.
    const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', TS_NODE_TRANSPILE_ONLY: 'true' };
    delete env.FT_SERVICES_CONFIG;
    const result = spawnSync('npx', ['--no-install', 'cdk8s', 'synth', '--output', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 120000 });
    expect(result.stderr + result.stdout).toContain('Synthesizing application');
    expect(result.status).toBe(0);
    const fresh = filesOf(out);
    expect(Object.keys(fresh)).toEqual(['ft-services-metallb.k8s.yaml', 'ft-services-namespace.k8s.yaml', 'ft-services.k8s.yaml']);
    expect(filesOf(path.join(ROOT, 'dist'))).toEqual(fresh);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120000);
