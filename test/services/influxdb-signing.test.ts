/**
 * B11 S2: how srcs/influxdb/Dockerfile trusts InfluxDB's release tarball, run with the real gpg:
 * InfluxData's key file (fetched over HTTPS, not from a keyserver) is trusted only when its one
 * primary key has the pinned fingerprint, and the tarball only when a key of that file signed it.
 * The Dockerfile's own check lines run here against keys made for the test (its download cannot).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { haveCommand, run, scratchDir, SRCS, stopAll } from './support/harness';

/** The Dockerfile's checking lines, from the import of the key file to the signature check. */
function checkScript(): string {
  const lines = fs.readFileSync(path.join(SRCS, 'influxdb', 'Dockerfile'), 'utf8').split('\n')
    .filter((line) => /--show-keys|gpg --batch --import|VALIDSIG/.test(line))
    .map((line) => line.trim().replace(/;\s*\\$/, ''));
  expect(lines).toHaveLength(3);
  return lines.join('\n');
}

/** Every GNUPGHOME the tests used: gpg starts a gpg-agent daemon in each, which must be stopped. */
const homes: string[] = [];

/** A primary key with a signing subkey (as InfluxData's), in its own GNUPGHOME; returns its fingerprint. */
function makeKey(home: string, name: string): string {
  fs.mkdirSync(home, { mode: 0o700, recursive: true });
  homes.push(home);
  const gpg = (...args: string[]) => run('gpg', ['--batch', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: home } });
  gpg('--quick-gen-key', `${name} <${name}@example.test>`, 'ed25519', 'cert', '1d');
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(gpg('--with-colons', '--list-keys'))![1];
  gpg('--quick-add-key', fingerprint, 'ed25519', 'sign', '1d');
  return fingerprint;
}

let dir: string;
let influxdata: string;

beforeAll(() => {
  if (!haveCommand('gpg')) throw new Error('gpg not found: install gnupg');
  dir = scratchDir('influxdb-signing');
  influxdata = makeKey(path.join(dir, 'influxdata'), 'influxdata');
  makeKey(path.join(dir, 'other'), 'other');
  fs.writeFileSync(path.join(dir, 'influxdb.tar.gz'), 'not really a tarball\n');
});

afterAll(async () => {
  for (const home of homes) spawnSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']);
  await stopAll();
});

/** Runs the Dockerfile's check in a fresh GNUPGHOME with the key file of `keyOf`, the tarball signed by `signer`. */
function check(keyOf: string, signer: string, pinned: string): number | null {
  const work = fs.mkdtempSync(path.join(dir, 'check-'));
  fs.writeFileSync(path.join(work, 'influxdata-archive.key'), run('gpg', ['--batch', '--armor', '--export'], { env: { ...process.env, GNUPGHOME: path.join(dir, keyOf) } }));
  fs.copyFileSync(path.join(dir, 'influxdb.tar.gz'), path.join(work, 'influxdb.tar.gz'));
  run('gpg', ['--batch', '--yes', '--armor', '--detach-sign', '-o', path.join(work, 'influxdb.tar.gz.asc'), path.join(work, 'influxdb.tar.gz')], { env: { ...process.env, GNUPGHOME: path.join(dir, signer) } });
  const gnupg = path.join(work, 'gnupg');
  fs.mkdirSync(gnupg, { mode: 0o700 });
  homes.push(gnupg);
  return spawnSync('sh', ['-eu', '-c', checkScript()], { cwd: work, env: { ...process.env, GNUPGHOME: gnupg, tarball: 'influxdb.tar.gz', INFLUXDB_GPG_KEY: pinned }, encoding: 'utf8' }).status;
}

test('B11 S2 the tarball is accepted when the pinned key signed it (with its signing subkey)', () => {
  expect(check('influxdata', 'influxdata', influxdata)).toBe(0);
});

test('B11 S2 a key file whose primary key is not the pinned one is refused', () => {
  expect(check('other', 'other', influxdata)).not.toBe(0);
});

test('B11 S2 a tarball signed by another key is refused, even next to the right key file', () => {
  expect(check('influxdata', 'other', influxdata)).not.toBe(0);
});
