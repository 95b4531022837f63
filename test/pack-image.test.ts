/**
 * .ci/cluster/pack-image (B14): folders become a docker-archive that containerd imports, the same
 * bytes every time, so a layer shared by several images is stored once. Needs python3 and tar.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const PACK_IMAGE = path.resolve(__dirname, '..', '.ci', 'cluster', 'pack-image');

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-image-'));
  fs.mkdirSync(path.join(work, 'base', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(work, 'base', 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  fs.symlinkSync('tool', path.join(work, 'base', 'bin', 'alias'));
  fs.mkdirSync(path.join(work, 'base', 'etc'));
  fs.writeFileSync(path.join(work, 'base', 'etc', 'b'), 'b\n');
  fs.writeFileSync(path.join(work, 'base', 'etc', 'a'), 'a\n');
  fs.linkSync(path.join(work, 'base', 'etc', 'a'), path.join(work, 'base', 'etc', 'c'));
  for (const top of ['one', 'two']) {
    fs.mkdirSync(path.join(work, top, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(work, top, 'etc', 'top'), `${top}\n`);
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function pack(name: string, out: string, ...args: string[]): string {
  const file = path.join(work, out);
  execFileSync(PACK_IMAGE, [name, file, path.join(work, 'base'), ...args]);
  return file;
}
const read = (archive: string, member: string): Buffer => execFileSync('tar', ['-xOf', archive, member], { maxBuffer: 1 << 26 });
const manifestOf = (archive: string) => JSON.parse(read(archive, 'manifest.json').toString())[0];
const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

test('B14 the manifest names the image, and the config carries what the Dockerfile set, diff_ids matching the layer tars', () => {
  const archive = pack('quay.io/metallb/speaker:v0.16.1', 'speaker.tar', '--layer', path.join(work, 'one'),
    '--entrypoint', '["/speaker"]', '--cmd', '["--port=7472"]', '--env', 'A=1', '--env', 'B=x=y', '--user', '65534',
    '--workdir', '/data', '--expose', '7472', '--expose', '7946/udp', '--volume', '/var/lib/x');
  const manifest = manifestOf(archive);
  expect(manifest.RepoTags).toEqual(['quay.io/metallb/speaker:v0.16.1']);
  const config = JSON.parse(read(archive, manifest.Config).toString());
  expect(config).toMatchObject({ os: 'linux', architecture: expect.stringMatching(/^(amd64|arm64)$/) });
  expect(config.config).toEqual({
    Entrypoint: ['/speaker'], Cmd: ['--port=7472'], Env: ['A=1', 'B=x=y'], User: '65534', WorkingDir: '/data',
    ExposedPorts: { '7472/tcp': {}, '7946/udp': {} }, Volumes: { '/var/lib/x': {} },
  });
  expect(manifest.Layers).toHaveLength(2);
  expect(config.rootfs).toEqual({ type: 'layers', diff_ids: manifest.Layers.map((layer: string) => `sha256:${sha256(read(archive, layer))}`) });
  expect(manifest.Config).toBe(`${sha256(read(archive, manifest.Config))}.json`);
});

test('B14 a layer is sorted by name with fixed times and numeric owners, and keeps symlinks and hard links', () => {
  const archive = pack('ft/sorted:1', 'sorted.tar');
  const layer = path.join(work, 'layer.tar');
  fs.writeFileSync(layer, read(archive, manifestOf(archive).Layers[0]));
  const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', layer]).toString().trim().split('\n');
  expect(listing.map((line) => line.split(/\s+/).slice(5).join(' '))).toEqual(
    ['bin/', 'bin/alias -> tool', 'bin/tool', 'etc/', 'etc/a', 'etc/b', 'etc/c link to etc/a']);
  expect(listing.filter((line) => !line.includes(' 1970-01-01 00:00:00 '))).toEqual([]);
  expect(listing.find((line) => line.endsWith('bin/tool'))).toMatch(/^-rwxr-xr-x /);
});

test('B14 the same arguments give the same bytes, and a base shared by two images is the same layer in both', () => {
  const first = fs.readFileSync(pack('ft/one:1', 'one-a.tar', '--layer', path.join(work, 'one')));
  const again = fs.readFileSync(pack('ft/one:1', 'one-b.tar', '--layer', path.join(work, 'one')));
  expect(sha256(again)).toBe(sha256(first));
  const one = manifestOf(path.join(work, 'one-a.tar')).Layers;
  const two = manifestOf(pack('ft/two:1', 'two.tar', '--layer', path.join(work, 'two'))).Layers;
  expect(two[0]).toBe(one[0]);
  expect(two[1]).not.toBe(one[1]);
});

test('B14 a layer given as a tar is taken as it is, so a large base is packed once', () => {
  const archive = pack('ft/one:1', 'from-dir.tar');
  const baseLayer = path.join(work, 'base-layer.tar');
  fs.writeFileSync(baseLayer, read(archive, manifestOf(archive).Layers[0]));
  const fromTar = path.join(work, 'from-tar.tar');
  execFileSync(PACK_IMAGE, ['ft/one:1', fromTar, baseLayer]);
  expect(sha256(fs.readFileSync(fromTar))).toBe(sha256(fs.readFileSync(archive)));
});

test('B14 a name without a tag is refused with what is expected', () => {
  expect(() => execFileSync(PACK_IMAGE, ['ft/untagged', path.join(work, 'x.tar'), path.join(work, 'base')], { stdio: 'pipe' }))
    .toThrow(/must be NAME:TAG/);
});

// Whiteouts are character devices, which only root can make (CI runs as root).
const asRoot = process.getuid?.() === 0 ? test : test.skip;
asRoot('B14 an overlay upper folder packs as a layer: a whiteout becomes the .wh. file that deletes the name below', () => {
  const upper = path.join(work, 'upper');
  fs.mkdirSync(path.join(upper, 'etc'), { recursive: true });
  execFileSync('mknod', [path.join(upper, 'etc', 'b'), 'c', '0', '0']);
  const archive = pack('ft/deleted:1', 'deleted.tar', '--layer', upper);
  const layer = path.join(work, 'upper-layer.tar');
  fs.writeFileSync(layer, read(archive, manifestOf(archive).Layers[1]));
  expect(execFileSync('tar', ['-tf', layer]).toString().trim().split('\n')).toEqual(['etc/', 'etc/.wh.b']);
});
