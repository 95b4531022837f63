/**
 * shellcheck on every shell script the images run (srcs/), on setup.sh and on CI's scripts (.ci/):
 * the entrypoints must be clean POSIX sh, as they run under BusyBox ash in the images and dash in
 * the host tests (B5).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { filesUnder } from '../../lib/files';
import { haveCommand, SRCS } from './support/harness';

const ROOT = path.resolve(SRCS, '..');

/** Shell scripts: a `.sh` name or a shell shebang. */
function isShellScript(file: string): boolean {
  if (file.endsWith('.sh')) return true;
  const head = fs.readFileSync(file, 'utf8').slice(0, 100);
  return /^#!\s*(\/usr\/bin\/env\s+)?\/?(bin\/|usr\/bin\/)?(sh|bash|dash|ash)\b/.test(head);
}

const CI = path.join(ROOT, '.ci');
const scripts = [
  ...[SRCS, CI].flatMap((dir) => filesUnder(dir).map((file) => path.join(dir, file))).filter(isShellScript),
  ...[path.join(ROOT, 'setup.sh')].filter((file) => fs.existsSync(file)),
].map((file) => [path.relative(ROOT, file), file]);

beforeAll(() => {
  if (!haveCommand('shellcheck')) throw new Error('shellcheck not found: install shellcheck (.ci/install-host-packages)');
});

test('B5 the images have shell scripts to check', () => {
  expect(scripts.map(([name]) => name)).toEqual(expect.arrayContaining(['srcs/mysql/entrypoint.sh', 'srcs/ftps/entrypoint.sh', 'srcs/wordpress/entrypoint.sh', '.ci/run']));
});

test.each(scripts)('B5 shellcheck finds nothing in %s', (_name, file) => {
  // The shebang decides the dialect: #!/bin/sh scripts are checked as POSIX sh.
  const result = spawnSync('shellcheck', ['--external-sources', '--format=gcc', file], { cwd: path.dirname(file), encoding: 'utf8' });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
});
