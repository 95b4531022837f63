/**
 * The host-test harness itself (B12, B5): it names an unreachable checkout at once, and a run leaves
 * no private keys or server trees behind, only logs in test-output/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assertReachable, OUTPUT_ROOT, scratchDir, stopAll } from './support/harness';

test('B12 a folder below a parent other users cannot enter (a checkout under a 0700 /root) is named at once', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-services-closed-'));
  try {
    const inside = path.join(parent, 'checkout', 'test-output');
    fs.mkdirSync(inside, { recursive: true });
    fs.chmodSync(parent, 0o700);
    expect(() => assertReachable(inside)).toThrow(`${parent} (mode 700) cannot be entered by other users`);
    fs.chmodSync(parent, 0o755);
    expect(() => assertReachable(inside)).not.toThrow();
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test('B12 stopAll removes the scratch folders, keys and all, and keeps only their logs in test-output/logs/', async () => {
  const dir = scratchDir('harness');
  expect(dir.startsWith(os.tmpdir())).toBe(true);
  fs.mkdirSync(path.join(dir, 'tls'));
  fs.writeFileSync(path.join(dir, 'tls', 'tls.key'), '-----BEGIN PRIVATE KEY-----\n');
  fs.writeFileSync(path.join(dir, 'server.log'), 'started\n');
  await stopAll();
  expect(fs.existsSync(dir)).toBe(false);
  const kept = path.join(OUTPUT_ROOT, 'logs', path.basename(dir));
  expect(fs.readdirSync(kept)).toEqual(['server.log']);
  expect(fs.readFileSync(path.join(kept, 'server.log'), 'utf8')).toBe('started\n');
});
