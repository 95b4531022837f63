/**
 * srcs/common/set-password (B11), the nginx and ftps entrypoints' way to set the login's password.
 * Alpine's chpasswd is busybox's, which reports every success on stderr ("chpasswd: password for
 * 'USER' changed", alpine-facts 13); Debian's busybox has no chpasswd applet, so a stand-in wraps
 * Debian's chpasswd and adds that line, as busybox prints it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_PATH, randomSecret, scratchDir, stopAll } from './support/harness';
import { createSshUser, removeUser } from './support/nginx';

let dir: string;
let user: string;

/** A PATH whose chpasswd runs `body` (sh) before the image's scripts and Debian's tools. */
function pathWithChpasswd(name: string, body: string): string {
  const bin = path.join(dir, name);
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'chpasswd'), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return `${bin}:${IMAGE_PATH}`;
}

function shadowHash(): string {
  return fs.readFileSync('/etc/shadow', 'utf8').split('\n').find((line) => line.startsWith(`${user}:`))?.split(':')[1] ?? '';
}

beforeAll(() => {
  dir = scratchDir('set-password');
  user = createSshUser();
});
afterAll(async () => {
  removeUser(user);
  await stopAll();
});

test('B11 the password is set, and busybox chpasswd\'s success line stays out of the log', () => {
  const PATH = pathWithChpasswd('busybox-like', `/usr/sbin/chpasswd "$@" && echo "chpasswd: password for '${user}' changed" >&2`);
  const before = shadowHash();
  const result = spawnSync('set-password', [user], { input: randomSecret(), env: { ...process.env, PATH }, encoding: 'utf8' });
  expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: '' });
  expect(shadowHash()).not.toBe(before);
});

test('B11 a failing chpasswd stops the entrypoint, saying why', () => {
  const PATH = pathWithChpasswd('failing', 'cat >/dev/null; echo "chpasswd: unknown user nobody-here" >&2; exit 1');
  const result = spawnSync('set-password', ['nobody-here'], { input: 'x', env: { ...process.env, PATH }, encoding: 'utf8' });
  expect({ status: result.status, output: result.stderr }).toEqual({ status: 1, output: 'set-password failed for nobody-here, chpasswd said chpasswd: unknown user nobody-here\n' });
});
