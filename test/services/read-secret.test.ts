/**
 * srcs/common/read-secret and srcs/common/read-secret.php, the one way the images read their
 * mounted Secret files (K2), run with Debian's dash and PHP CLI (the images: busybox ash, php83).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { scratchDir, SRCS, writeSecrets } from './support/harness';

const READ_SECRET = path.join(SRCS, 'common', 'read-secret');
const READ_SECRET_PHP = path.join(SRCS, 'common', 'read-secret.php');

let secrets: string;

beforeAll(() => {
  secrets = path.join(scratchDir('read-secret'), 'secrets');
  writeSecrets(secrets, { tls: { 'tls.crt': 'CERT\n', 'tls.key': 'KEY\n\n' }, app: { password: 'p@ss word', empty: '' } });
});

function shell(...files: string[]) {
  const result = spawnSync('sh', [READ_SECRET, ...files], { env: { ...process.env, SECRETS_DIR: secrets }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function php(file: string) {
  const script = `require '${READ_SECRET_PHP}'; try { echo json_encode(ft_read_secret('${file}')); } catch (RuntimeException $e) { echo json_encode(['error' => $e->getMessage()]); }`;
  const result = spawnSync('php', ['-r', script], { env: { ...process.env, SECRETS_DIR: secrets }, encoding: 'utf8' });
  return JSON.parse(result.stdout);
}

test('K2 read-secret prints the Secret files like cat, trailing newlines included', () => {
  expect(shell('tls/tls.crt', 'tls/tls.key', 'app/password')).toEqual({ status: 0, stdout: 'CERT\nKEY\n\np@ss word', stderr: '' });
});

test.each([['app/empty'], ['app/absent']])('K2 read-secret fails on %s, naming it and printing nothing', (file) => {
  expect(shell('tls/tls.crt', file)).toEqual({ status: 1, stdout: '', stderr: `missing secret file ${secrets}/${file}\n` });
});

test('K2 the PHP helper gives what $(read-secret) gives: the content without trailing newlines', () => {
  expect(php('tls/tls.key')).toBe(spawnSync('sh', ['-c', `printf %s "$(sh ${READ_SECRET} tls/tls.key)"`], { env: { ...process.env, SECRETS_DIR: secrets }, encoding: 'utf8' }).stdout);
  expect(php('app/password')).toBe('p@ss word');
});

test.each([['app/empty'], ['app/absent']])('K2 the PHP helper refuses %s, naming the file', (file) => {
  expect(php(file)).toEqual({ error: `missing secret file ${secrets}/${file}` });
});

afterAll(() => fs.rmSync(path.dirname(secrets), { recursive: true, force: true }));
