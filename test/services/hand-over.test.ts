/**
 * srcs/common/hand-over, how a process that is not root gets a Secret (B15), run with Debian's dash
 * and coreutils (the images: busybox ash): its copies, their owner and mode, and the one capability
 * it needs, CHOWN (setpriv bounds the capabilities as the chart's securityContext would).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { IMAGE_PATH, scratchDir, SRCS, writeSecrets } from './support/harness';
import { readableBy } from './support/secret-readers';

const HAND_OVER = path.join(SRCS, 'common', 'hand-over');
const READER = 'nobody';
const UID = Number(spawnSync('id', ['-u', READER], { encoding: 'utf8' }).stdout);

let dir: string;
let secrets: string;

beforeAll(() => {
  dir = scratchDir('hand-over');
  secrets = writeSecrets(path.join(dir, 'secrets'), { tls: { 'tls.crt': 'CERT\n', 'tls.key': 'KEY\n\n' }, app: { password: 'p@ss word', empty: '' } });
});

/** hand-over ARGS as root, with at most `capabilities` (setpriv's bounding set) when given. */
function handOver(args: readonly string[], options: { input?: string; capabilities?: readonly string[] } = {}) {
  const bound = options.capabilities === undefined ? [] : ['setpriv', `--bounding-set=-all${options.capabilities.map((c) => `,+${c}`).join('')}`, '--inh-caps=-all'];
  const [command, ...rest] = [...bound, 'sh', HAND_OVER, ...args];
  const result = spawnSync(command, rest, { env: { ...process.env, PATH: IMAGE_PATH, SECRETS_DIR: secrets }, input: options.input ?? '', encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

const owner = (file: string) => { const stat = fs.statSync(file); return { uid: stat.uid, mode: (stat.mode & 0o7777).toString(8) }; };

test('B15 each copy holds the mounted file exactly, belongs to the reader, 0400, in folders of root\'s that nobody else may write', () => {
  const folder = path.join(dir, 'handed', 'reader');
  expect(handOver([READER, folder, 'tls/tls.key', 'app/password'])).toEqual({ status: 0, stderr: '' });
  expect(fs.readFileSync(path.join(folder, 'tls', 'tls.key'), 'utf8')).toBe('KEY\n\n');
  expect(fs.readFileSync(path.join(folder, 'app', 'password'), 'utf8')).toBe('p@ss word');
  expect([owner(path.join(folder, 'tls', 'tls.key')), owner(path.join(folder, 'app', 'password'))]).toEqual([{ uid: UID, mode: '400' }, { uid: UID, mode: '400' }]);
  expect([owner(path.dirname(folder)), owner(folder), owner(path.join(folder, 'tls'))]).toEqual(Array(3).fill({ uid: 0, mode: '755' }));
  expect(readableBy(READER, { key: path.join(folder, 'tls', 'tls.key'), mounted: path.join(secrets, 'tls', 'tls.key') })).toEqual(['key']);
});

test('B15 it makes the folder anew at each start: a key no longer listed is gone', () => {
  const folder = path.join(dir, 'again', 'reader');
  handOver([READER, folder, 'tls/tls.crt', 'tls/tls.key']);
  expect(handOver([READER, folder, 'tls/tls.crt'])).toEqual({ status: 0, stderr: '' });
  expect(fs.readdirSync(path.join(folder, 'tls'))).toEqual(['tls.crt']);
});

test('B15 a file made from a Secret (its standard input) is handed over the same way, replacing the last one', () => {
  const file = path.join(dir, 'made', 'client.cnf');
  handOver([READER, file], { input: 'old' });
  expect(handOver([READER, file], { input: '[client]\npassword="x"\n' })).toEqual({ status: 0, stderr: '' });
  expect({ text: fs.readFileSync(file, 'utf8'), ...owner(file) }).toEqual({ text: '[client]\npassword="x"\n', uid: UID, mode: '400' });
});

test('B15 CHOWN is the one capability it needs; without it the copy stays root\'s and the entrypoint stops', () => {
  const folder = path.join(dir, 'capabilities', 'reader');
  expect(handOver([READER, folder, 'app/password'], { capabilities: ['chown'] })).toEqual({ status: 0, stderr: '' });
  expect(owner(path.join(folder, 'app', 'password'))).toEqual({ uid: UID, mode: '400' });
  const without = handOver([READER, folder, 'app/password'], { capabilities: [] });
  expect(without.status).not.toBe(0);
  expect(without.stderr).toMatch(/chown: .*Operation not permitted/);
  expect(owner(path.join(folder, 'app', 'password'))).toEqual({ uid: 0, mode: '400' });
});

test('B15 a missing or empty Secret fails, naming it, and leaves nothing handed over', () => {
  const folder = path.join(dir, 'missing', 'reader');
  expect(handOver([READER, folder, 'tls/tls.crt', 'app/empty'])).toEqual({
    status: 1, stderr: `missing secret file ${secrets}/app/empty\nhand-over: nothing handed to ${READER}: see the message above\n`,
  });
  expect(fs.existsSync(folder)).toBe(false);
});

test('B15 it refuses a parent folder another user owns, which could swap the copies for its own', () => {
  const parent = path.join(dir, 'theirs');
  fs.mkdirSync(parent);
  fs.chownSync(parent, UID, -1);
  const refused = handOver([READER, path.join(parent, 'reader'), 'app/password']);
  expect(refused).toEqual({ status: 1, stderr: `hand-over: ${parent} belongs to uid ${UID}, not root: another user made it; remove it (or the pod's volume) and restart\n` });
});

test.each([['../etc/passwd'], ['/etc/shadow'], ['app'], ['a/b/c'], ['app/pass word']])('B15 it refuses %s, which is not NAME/KEY', (file) => {
  expect(handOver([READER, path.join(dir, 'refused'), file])).toEqual({ status: 1, stderr: `hand-over: '${file}' is not NAME/KEY (a Secret and one of its keys)\n` });
});

test('B15 it refuses a user the container does not have', () => {
  expect(handOver(['no-such-user-here', path.join(dir, 'nobody-here'), 'app/password']).stderr)
    .toBe('hand-over: no user no-such-user-here in this container: hand-over hands files to an existing user (adduser in the image)\n');
});
