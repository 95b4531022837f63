/**
 * .ci/cluster/alpine-to-debian, the one list of what the CI cluster's Debian-based images differ in
 * from the Alpine images (B14), against the Dockerfiles it stands in for: what the builder
 * (.ci/cluster/build-image) would stop at, found without building.
 */
import * as fs from 'fs';
import * as path from 'path';
import { apkAddPackages, parseDockerfile } from './support/dockerfile';

const ROOT = path.resolve(__dirname, '..');
const SRCS = path.join(ROOT, 'srcs');
const mapping = fs.readFileSync(path.join(ROOT, '.ci', 'cluster', 'alpine-to-debian'), 'utf8').split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => line.split(' '));
const lines = (kind: string) => mapping.filter(([k]) => k === kind).map(([, ...rest]) => rest);

const services = fs.readdirSync(SRCS).filter((name) => fs.existsSync(path.join(SRCS, name, 'Dockerfile')));
const runsOf = (service: string) => parseDockerfile(fs.readFileSync(path.join(SRCS, service, 'Dockerfile'), 'utf8'))
  .filter((instruction) => instruction.keyword === 'RUN');

test('B14 every line of the mapping is of a known kind', () => {
  expect(mapping.filter(([kind]) => !['apk', 'debian', 'binary', 'standin', 'link', 'user', 'file', 'dir', 'instead'].includes(kind))).toEqual([]);
});

test.each(services)('B14 every package srcs/%s/Dockerfile installs with apk add has a Debian stand-in', (service) => {
  const mapped = new Set(lines('apk').map(([name]) => name));
  const packages = runsOf(service).flatMap((run) => apkAddPackages(run.args));
  expect(packages.length).toBeGreaterThan(0);
  expect(packages.filter((name) => !mapped.has(name))).toEqual([]);
});

test.each(services)('B14 each RUN of srcs/%s/Dockerfile that fetches from the internet, and only those, is replaced by exactly one line', (service) => {
  const patterns = lines('instead').filter(([name]) => name === service).map(([, pattern]) => new RegExp(pattern));
  const fetching = runsOf(service).filter((run) => /\b(curl|wget)\b[^;&|]*https?:\/\//.test(run.args)).map((run) => run.line);
  const replaced = runsOf(service).filter((run) => patterns.filter((pattern) => pattern.test(run.args)).length === 1).map((run) => run.line);
  expect(replaced).toEqual(fetching);
  expect(runsOf(service).filter((run) => patterns.filter((pattern) => pattern.test(run.args)).length > 1)).toEqual([]);
});

test('B14 a program built by a CI step stands in only for a package mapped to nothing else', () => {
  const debian = new Map(lines('apk').map(([name, ...packages]) => [name, packages]));
  expect(lines('binary').filter(([name, target]) => debian.get(name)?.join(' ') !== '-' || !target.startsWith('/'))).toEqual([]);
  expect(lines('binary').map(([name]) => name)).toEqual(['telegraf']);
});

test('B14 Grafana, and only Grafana, is a stand-in, installed by a script of the checkout', () => {
  expect(lines('standin').map(([name]) => name)).toEqual(['grafana']);
  expect(lines('standin').filter(([, script]) => !fs.existsSync(path.join(ROOT, script)))).toEqual([]);
});
