/**
 * ./setup.sh without a cluster: its functions are sourced and run with small fake `minikube` and
 * `kubectl` scripts that record their arguments (S1, S4, B2, B6, B9). Real openssl and ssh-keygen
 * make the credentials; bin/ft.ts (ts-node) supplies the plan, as it does for a real run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkExitCode, formatResult, formatSummary, runChecks } from '../lib/setup/check';
import { resolveStackConfig } from '../lib/config';
import { Kubectl, probeDataSurvivesPodDeletion, probeRestartWhenProcessDies, probeServiceAddresses } from '../lib/probes/cluster';
import { ProbeResult } from '../lib/probes/probe';
import { stackSecrets } from '../lib/secrets';
import { imageTag } from '../lib/setup/image-tags';

jest.setTimeout(120000);

const ROOT = path.resolve(__dirname, '..');
const SETUP = path.join(ROOT, 'setup.sh');
const SETUP_TEXT = fs.readFileSync(SETUP, 'utf8');

interface Run { status: number | null; stdout: string; stderr: string; output: string }

/** Runs `script` in bash after sourcing setup.sh (or runs setup.sh itself when `args` is given). */
function bash(script: string, env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync('/bin/bash', ['-c', `source "${SETUP}"\n${script}`], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

function setup(args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const result = spawnSync('/bin/bash', [SETUP, ...args], { cwd: ROOT, env, encoding: 'utf8', input: '' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

/** Every temporary folder of this file, removed once its tests are done. */
const temporary: string[] = [];
afterAll(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ft-setup-${name}-`));
  temporary.push(dir);
  return dir;
}

/** A fake command that appends its arguments to $FAKE_LOG and then runs `body` (sh). */
function fakeCommand(dir: string, name: string, body = ''): void {
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$FAKE_LOG"\n${body}\n`, { mode: 0o755 });
}

/** A bin folder with links to the real tools setup.sh uses, leaving out `missing`. */
function pathWithout(missing: readonly string[]): string {
  const dir = tempDir('bin');
  const tools = ['node', 'npm', 'npx', 'openssl', 'ssh-keygen', 'uname', 'cat', 'mkdir', 'chmod', 'rm', 'mv', 'head', 'tr', 'grep', 'awk',
    'sed', 'mktemp', 'tail', 'touch', 'dirname', 'basename', 'env', 'sleep'];
  for (const tool of tools.filter((name) => !missing.includes(name))) {
    const real = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (real !== '') fs.symlinkSync(real, path.join(dir, tool));
  }
  for (const fake of ['minikube', 'kubectl'].filter((name) => !missing.includes(name))) fakeCommand(dir, fake);
  return dir;
}

describe('S1 ./setup.sh --help', () => {
  const help = setup(['--help'], process.env);

  test('S1 --help exits 0 and names every command the script dispatches', () => {
    expect(help.status).toBe(0);
    const dispatch = /case "\$command" in([\s\S]*?)esac/.exec(SETUP_TEXT)?.[1] ?? '';
    const commands = [...dispatch.matchAll(/^\s*([a-z]+)\)/gm)].map((match) => match[1]);
    expect(commands).toEqual(expect.arrayContaining(['up', 'check', 'credentials', 'delete', 'help']));
    for (const command of commands) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  test('S1 --help documents every FT_ environment variable and option the script reads', () => {
    const variables = new Set([...SETUP_TEXT.matchAll(/\$\{?(FT_[A-Z_]+)/g)].map((match) => match[1]));
    expect(variables.size).toBeGreaterThan(5);
    for (const variable of variables) expect(help.stdout).toContain(variable);
    for (const option of ['--config FILE', '--yes']) expect(help.stdout).toContain(option);
  });

  test('S1 an unknown argument prints the usage and fails', () => {
    const run = setup(['--frobnicate'], process.env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('unknown argument: --frobnicate');
    expect(run.stderr).toContain('Usage: ./setup.sh');
  });
});

describe('S1 preflight: each missing tool stops setup with a message saying what to install', () => {
  const cases: Array<[string, RegExp]> = [
    ['minikube', /minikube not found\. Install minikube .*minikube\.sigs\.k8s\.io/],
    ['node', /node not found\. Install Node\.js 18 or later/],
    ['npm', /npm not found\. Install npm/],
    ['openssl', /openssl not found\. Install OpenSSL/],
    ['ssh-keygen', /ssh-keygen not found\. Install OpenSSH's ssh-keygen/],
  ];
  test.each(cases)('S1 without %s, ./setup.sh exits non-zero and says so', (tool, message) => {
    const bin = pathWithout([tool]);
    const log = path.join(bin, 'fake.log');
    const run = setup(['up'], { PATH: bin, FAKE_LOG: log, HOME: bin });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    // Nothing was started: preflight is the first step.
    expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').not.toMatch(/start|apply/);
  });

  test("S1 without kubectl, setup uses 'minikube kubectl --' on the profile's context", () => {
    const bin = pathWithout(['kubectl']);
    const run = bash('preflight_tools && printf "KUBECTL=%s\\n" "${KUBECTL[*]}"', { PATH: bin, FAKE_LOG: path.join(bin, 'fake.log'), FT_MINIKUBE_PROFILE: 'ft' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("kubectl not found: using 'minikube kubectl --'");
    expect(run.stdout).toContain('KUBECTL=minikube -p ft kubectl -- --context ft');
  });

  test('S1 with every tool present, preflight passes and uses kubectl on the profile\'s context', () => {
    const bin = pathWithout([]);
    const run = bash('preflight_tools && printf "KUBECTL=%s\\n" "${KUBECTL[*]}"', { PATH: bin, FAKE_LOG: path.join(bin, 'fake.log') });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('KUBECTL=kubectl --context minikube');
  });
});

describe('S4 the load-balancer address inside minikube\'s network', () => {
  test('S4 the address is .240 of the node\'s /24, .241 when the node itself is .240', () => {
    const run = bash('lb_address_for 192.168.49.2; lb_address_for 192.168.58.240; lb_address_for 10.0.2.15');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(['192.168.49.240', '192.168.58.241', '10.0.2.240']);
  });

  test('S4 choose_address asks `minikube ip` of the profile; FT_LB_ADDRESS overrides it', () => {
    const bin = tempDir('ip');
    const log = path.join(bin, 'fake.log');
    fakeCommand(bin, 'minikube', 'echo 192.168.39.17');
    const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log, FT_MINIKUBE_PROFILE: 'ft' };
    expect(bash('choose_address', env).stdout).toContain('load-balancer address: 192.168.39.240');
    expect(fs.readFileSync(log, 'utf8')).toBe('-p ft ip\n');
    expect(bash('choose_address', { ...env, FT_LB_ADDRESS: '10.9.8.7' }).stdout).toContain('load-balancer address: 10.9.8.7');
  });

  test('S4 an answer of `minikube ip` that is not an IPv4 address stops setup', () => {
    const run = bash('lb_address_for "192.168.49"');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("minikube ip printed '192.168.49', not an IPv4 address");
  });
});

describe('B2 credentials', () => {
  // Inside the repository's .ft/, as a real run: git must ignore it.
  const state = path.join(ROOT, '.ft', `test-${process.pid}-${Date.now()}`);
  const config = resolveStackConfig();
  const planned = Object.values(stackSecrets(config)).flatMap((secret) => secret.keys.map((key) => path.join(state, 'secrets', secret.name, key.key)));
  let first: Run;

  const snapshot = () => Object.fromEntries(planned.map((file) => [file, `${fs.statSync(file).mtimeMs} ${fs.readFileSync(file, 'utf8')}`]));

  beforeAll(() => {
    first = bash('generate_credentials 192.168.49.240', { FT_STATE_DIR: state });
  });
  afterAll(() => fs.rmSync(state, { recursive: true, force: true }));

  test('B2 every key of stackSecrets() is generated under .ft/secrets/<secret>/<key>', () => {
    expect(first.status).toBe(0);
    for (const file of planned) expect(fs.statSync(file).size).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(state, 'secrets/ssh-host-keys/ssh_host_ed25519_key'), 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(fs.readFileSync(path.join(state, 'secrets/phpmyadmin/blowfish-secret'), 'utf8')).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(fs.readFileSync(path.join(state, 'secrets/mysql-root/password'), 'utf8')).toMatch(/^[A-Za-z0-9]{24}$/);
  });

  test('B2 passwords differ from each other (random per key)', () => {
    const passwords = planned.filter((file) => !/tls\.|ssh_host/.test(file)).map((file) => fs.readFileSync(file, 'utf8'));
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  test('B2 files are 0600 in 0700 folders, and git ignores them', () => {
    expect(fs.statSync(state).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(state, 'secrets')).mode & 0o777).toBe(0o700);
    for (const file of planned) {
      expect([file, fs.statSync(file).mode & 0o777]).toEqual([file, 0o600]);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(spawnSync('git', ['check-ignore', '-q', file], { cwd: ROOT }).status).toBe(0);
    }
  });

  test('B2 the TLS certificate names the load-balancer address', () => {
    const text = spawnSync('openssl', ['x509', '-in', path.join(state, 'secrets/tls/tls.crt'), '-noout', '-text'], { encoding: 'utf8' }).stdout;
    expect(text).toMatch(/IP Address:192\.168\.49\.240/);
  });

  test('B2 a second run changes no file', () => {
    const before = snapshot();
    const again = bash('generate_credentials 192.168.49.240', { FT_STATE_DIR: state });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('0 new values');
    expect(snapshot()).toEqual(before);
  });

  test('B2 no secret value appears in the output while the Secrets are generated and applied', () => {
    const bin = tempDir('kubectl');
    const log = path.join(bin, 'fake.log');
    const received = path.join(bin, 'received');
    // Like kubectl: `create --dry-run -o yaml` prints the values, `label --local` passes them on, apply reads them.
    fakeCommand(bin, 'kubectl', [
      'case " $* " in',
      '  *" create secret "*) for a in "$@"; do case "$a" in --from-file=*|--cert=*|--key=*) cat "${a#*=*=}" 2>/dev/null || cat "${a#*=}";; esac; done ;;',
      '  *" label --local "*) cat ;;',
      `  *" apply -f - "*) cat >> "${received}"; echo "secret/x configured" ;;`,
      'esac',
    ].join('\n'));
    const run = bash('NAMESPACE=ft-services; KUBECTL=(kubectl --context minikube); generate_credentials 192.168.49.240 && apply_secrets',
      { FT_STATE_DIR: state, PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log });
    expect(run.status).toBe(0);
    // A password is one line; of a key or certificate, look for one line of its base64 body.
    const needles = planned.map((file) => fs.readFileSync(file, 'utf8')).map((value) => (value.includes('\n') ? value.split('\n')[1] : value));
    const applied = fs.readFileSync(received, 'utf8');
    for (const needle of needles) {
      expect(needle.length).toBeGreaterThan(20);
      expect(applied).toContain(needle); // the values did reach kubectl apply…
      expect(run.output).not.toContain(needle); // …but never the terminal
      expect(first.output).not.toContain(needle);
    }
  });

  test('B2 every Secret is created in the stack namespace with its keys from the files, then applied', () => {
    const bin = tempDir('kubectl');
    const log = path.join(bin, 'fake.log');
    fakeCommand(bin, 'kubectl', 'case " $* " in *" apply -f - "*|*" label --local "*) cat >/dev/null ;; esac');
    const run = bash('NAMESPACE=ft-services; KUBECTL=(kubectl --context minikube); apply_secrets',
      { FT_STATE_DIR: state, PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log });
    expect(run.status).toBe(0);
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
    const creates = calls.filter((call) => call.includes(' create secret '));
    expect(creates).toHaveLength(Object.keys(stackSecrets(config)).length);
    expect(creates).toContain(`--context minikube -n ft-services create secret tls tls --cert=${state}/secrets/tls/tls.crt --key=${state}/secrets/tls/tls.key --dry-run=client -o yaml`);
    expect(creates).toContain(`--context minikube -n ft-services create secret generic wordpress-users ${config.wordpress.users
      .map((user) => `--from-file=${user.login}=${state}/secrets/wordpress-users/${user.login}`).join(' ')} --dry-run=client -o yaml`);
    expect(calls.filter((call) => call === '--context minikube -n ft-services apply -f -')).toHaveLength(creates.length);
  });
});

describe('B9 image tags and builds', () => {
  const srcs = path.join(tempDir('srcs'), 'srcs');
  beforeAll(() => fs.cpSync(path.join(ROOT, 'srcs'), srcs, { recursive: true }));

  test('B9 a tag changes when a file of srcs/<service> or srcs/common changes, not when another service changes', () => {
    const before = { nginx: imageTag(srcs, 'nginx'), mysql: imageTag(srcs, 'mysql') };
    fs.appendFileSync(path.join(srcs, 'mysql', 'entrypoint.sh'), '\n# changed\n');
    expect(imageTag(srcs, 'nginx')).toBe(before.nginx);
    expect(imageTag(srcs, 'mysql')).not.toBe(before.mysql);
    fs.appendFileSync(path.join(srcs, 'common', 'healthz.php'), '\n');
    expect(imageTag(srcs, 'nginx')).not.toBe(before.nginx);
  });

  test('B9 a tag changes when a file becomes executable, and is a valid Docker tag', () => {
    const before = imageTag(srcs, 'ftps');
    const file = path.join(srcs, 'ftps', 'vsftpd.conf.template');
    fs.chmodSync(file, 0o755);
    expect(imageTag(srcs, 'ftps')).not.toBe(before);
    expect(before).toMatch(/^[0-9a-f]{12}$/);
  });

  function fakeMinikube(images: readonly string[], buildsWork = true) {
    const bin = tempDir('minikube');
    const store = path.join(bin, 'images');
    fs.writeFileSync(store, images.map((image) => `${image}\n`).join(''));
    fakeCommand(bin, 'minikube', [
      'case "$3 $4" in',
      `  "image ls") cat "${store}" ;;`,
      `  "image build") ${buildsWork ? `echo "docker.io/library/$6" >> "${store}"` : 'echo "build failed" >&2'} ;;`,
      'esac',
    ].join('\n'));
    const state = tempDir('state');
    fs.writeFileSync(path.join(state, 'image-tags'), 'nginx aaa111\nmysql bbb222\nftps ccc333\n');
    return { bin, state, log: path.join(bin, 'fake.log'), env: { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: path.join(bin, 'fake.log'), FT_STATE_DIR: state } };
  }

  test('B9 only the images whose tag the cluster lacks are built, each with srcs/ as context and its own Dockerfile', () => {
    const fake = fakeMinikube(['docker.io/library/nginx:aaa111', 'docker.io/library/mysql:old000']);
    const run = bash('build_images', fake.env);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('nginx:aaa111 is already in the cluster');
    const builds = fs.readFileSync(fake.log, 'utf8').split('\n').filter((line) => line.includes('image build')).sort();
    expect(builds).toEqual([
      `-p minikube image build -t ftps:ccc333 -f ftps/Dockerfile ${ROOT}/srcs`,
      `-p minikube image build -t mysql:bbb222 -f mysql/Dockerfile ${ROOT}/srcs`,
    ]);
    expect(fs.readFileSync(path.join(fake.state, 'made'), 'utf8').split('\n').sort()).toEqual(['', 'image ftps:ccc333', 'image mysql:bbb222']);
  });

  test('B9 a second run builds nothing', () => {
    const fake = fakeMinikube([]);
    expect(bash('build_images', fake.env).status).toBe(0);
    fs.writeFileSync(fake.log, '');
    const again = bash('build_images', fake.env);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(fake.log, 'utf8')).not.toContain('image build');
  });

  test('B9 a build that leaves no image fails setup with the build log, even when minikube exits 0', () => {
    const fake = fakeMinikube([], false);
    const run = bash('build_images', fake.env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('image build failed: nginx:aaa111 mysql:bbb222 ftps:ccc333');
    expect(run.stderr).toContain('build failed');
  });
});

describe('B6 the check runner', () => {
  const result = (requirement: string, title: string, ok: boolean, detail: string): ProbeResult => ({ requirement, title, ok, detail });

  test('B6 every check runs in order and each result is reported as it comes', async () => {
    const seen: string[] = [];
    const results = await runChecks([
      { requirement: 'S7', run: async () => result('S7', 'http redirects', true, '301') },
      { requirement: 'S8', run: async () => result('S8', 'ftps upload', false, 'timeout') },
    ], (r) => seen.push(r.title));
    expect(seen).toEqual(['http redirects', 'ftps upload']);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
  });

  test('B6 the table shows pass or FAIL with the requirement ID, the title and the detail', () => {
    expect(formatResult(result('S7', 'http redirects', true, '301 Location: https://x/'))).toMatch(/^S7 +pass +http redirects\n +301 Location: https:\/\/x\/$/);
    expect(formatResult(result('S10', 'mysql keeps data', false, 'marker gone'))).toMatch(/^S10 +FAIL +mysql keeps data\n +marker gone$/);
  });

  test('B6 the summary names proven and failing requirements; the exit status is 1 when any check fails', () => {
    const results = [result('S7', 'a', true, ''), result('S7', 'b', false, 'x'), result('S8', 'c', true, '')];
    expect(formatSummary(results)).toBe('requirements proven: S8\nrequirements failing: S7\n2 passed, 1 failed');
    expect(checkExitCode(results)).toBe(1);
    expect(checkExitCode(results.filter((r) => r.ok))).toBe(0);
    expect(checkExitCode([])).toBe(1);
  });
});

describe('B6 cluster probes with a scripted kubectl', () => {
  /** A kubectl that answers from `answers` (first matching args prefix) and records every call. */
  function scripted(answers: Array<[RegExp, string | (() => string)]>) {
    const calls: string[] = [];
    const kubectl: Kubectl = async (args) => {
      const line = args.join(' ');
      calls.push(line);
      const hit = answers.find(([pattern]) => pattern.test(line));
      if (!hit) throw new Error(`unexpected kubectl ${line}`);
      return typeof hit[1] === 'string' ? hit[1] : hit[1]();
    };
    return { kubectl, calls };
  }
  const noPause = async () => undefined;

  test('S11 the restart probe passes when RESTARTS goes up after pkill, and waits for the rollout', async () => {
    let restarts = 0;
    const { kubectl, calls } = scripted([
      [/get pods -l app.kubernetes.io\/name=ftps/, 'ftps-abc'],
      [/get pod ftps-abc/, () => String(restarts)],
      [/exec ftps-abc -- pkill -x vsftpd/, () => { restarts = 1; return ''; }],
      [/rollout status deployment\/ftps|wait --for=condition=Ready/, ''],
    ]);
    const outcome = await probeRestartWhenProcessDies(kubectl, 'ft-services', 'ftps', 'vsftpd', 'deployment', noPause);
    expect(outcome).toMatchObject({ requirement: 'S11', ok: true, detail: 'RESTARTS 0 -> 1, ready again' });
    expect(calls).toContain('-n ft-services rollout status deployment/ftps --timeout=300s');
  });

  test('S11 the restart probe fails when the container never restarts', async () => {
    const { kubectl } = scripted([
      [/get pods -l/, 'ftps-abc'], [/get pod ftps-abc/, '2'], [/exec/, ''],
    ]);
    const outcome = await probeRestartWhenProcessDies(kubectl, 'ft-services', 'ftps', 'vsftpd', 'deployment', noPause);
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toContain('RESTARTS stayed at 2');
  });

  test('S10 the data probe fails when the marker is gone from the new pod', async () => {
    let pod = 'mysql-1';
    const { kubectl } = scripted([
      [/get pods -l/, () => pod],
      [/exec mysql-1/, ''],
      [/delete pod mysql-1/, () => { pod = 'mysql-2'; return ''; }],
      [/rollout status|wait --for/, ''],
      [/exec mysql-2/, ''],
    ]);
    const database = { write: (m: string) => ['write', m], read: (m: string) => ['read', m] };
    const outcome = await probeDataSurvivesPodDeletion(kubectl, 'ft-services', 'mysql', database, 'm-1');
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toContain('the marker is gone');
  });

  test('S10 the data probe passes when the new pod reads the marker back', async () => {
    let pod = 'mysql-1';
    const { kubectl, calls } = scripted([
      [/get pods -l/, () => pod],
      [/exec mysql-1 -- write m-1/, ''],
      [/delete pod mysql-1/, () => { pod = 'mysql-2'; return ''; }],
      [/rollout status|wait --for/, ''],
      [/exec mysql-2 -- read m-1/, 'm-1\n'],
    ]);
    const database = { write: (m: string) => ['write', m], read: (m: string) => ['read', m] };
    expect((await probeDataSurvivesPodDeletion(kubectl, 'ft-services', 'mysql', database, 'm-1')).ok).toBe(true);
    expect(calls.indexOf('-n ft-services exec mysql-1 -- write m-1')).toBeLessThan(calls.indexOf('-n ft-services delete pod mysql-1 --wait=true'));
  });

  test('S4 the Service probe fails when a LoadBalancer Service has another address or a database is public', async () => {
    const services = (nginxIp: string, mysqlType: string) => JSON.stringify({ items: [
      { metadata: { name: 'nginx' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: nginxIp }] } } },
      { metadata: { name: 'mysql' }, spec: { type: mysqlType } },
    ] });
    const expected = { nginx: 'LoadBalancer', mysql: 'ClusterIP' } as const;
    const check = (json: string) => probeServiceAddresses(scripted([[/get services/, json]]).kubectl, 'ft-services', '192.168.49.240', expected);
    expect((await check(services('192.168.49.240', 'ClusterIP'))).ok).toBe(true);
    expect((await check(services('192.168.49.241', 'ClusterIP'))).detail).toContain('nginx has address 192.168.49.241');
    expect((await check(services('192.168.49.240', 'LoadBalancer'))).detail).toContain('mysql is LoadBalancer, expected ClusterIP');
  });
});
