/**
 * A whole `./setup.sh` run (S1, S3, D3, B9), against fake minikube and kubectl that record what they
 * are asked, with the real synth, credentials and content-hash tags: the order of the steps and what
 * is applied. That a second run builds nothing and changes no credential (B9, B2) is proven step by
 * step in setup.test.ts, without a second whole run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SERVICE_NAMES } from '../lib/config';
import { imageTag } from '../lib/setup/image-tags';
import { fakeCluster, fakeEnvironment, readLines } from './support/fake-cluster';

const ROOT = path.resolve(__dirname, '..');

interface Run { status: number | null; out: string }

function setup(args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const result = spawnSync('/bin/bash', [path.join(ROOT, 'setup.sh'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, input: '', encoding: 'utf8', timeout: 240000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
    ? filesBelow(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
}

const fake = fakeCluster();
const state = path.join(fake.dir, 'state');
const manifests = path.join(state, 'manifests');
// The synth inside setup transpiles only: `npm run typecheck` checks the types once for the suite.
const env = { ...fakeEnvironment(fake), PATH: `${fake.bin}:${process.env.PATH}`, FT_STATE_DIR: state, TS_NODE_TRANSPILE_ONLY: 'true' };
const tag = (service: string) => imageTag(path.join(ROOT, 'srcs'), service);
let first: Run;
let firstCalls: string[];
let firstManifests: Record<string, string>;
let firstSecrets: Record<string, string>;
const contents = (dir: string) => Object.fromEntries(filesBelow(dir).map((file) => [path.relative(dir, file), fs.readFileSync(file, 'utf8')]));

beforeAll(() => {
  first = setup(['up'], env);
  firstCalls = readLines(fake.calls);
  firstManifests = contents(manifests);
  firstSecrets = contents(path.join(state, 'secrets'));
}, 240000);

afterAll(() => fs.rmSync(fake.dir, { recursive: true, force: true }));

test('S1 ./setup.sh brings the stack up in order: dashboard, MetalLB, images, namespace, Secrets, address pool, stack, rollouts, addresses', () => {
  expect(first.status).toBe(0);
  const position = (pattern: RegExp): number => {
    const found = firstCalls.findIndex((call) => pattern.test(call));
    if (found < 0) throw new Error(`no call matches ${pattern}:\n${firstCalls.join('\n')}`);
    return found;
  };
  const order = [
    position(/^minikube -p minikube addons enable dashboard$/),
    position(/^minikube -p minikube ip$/),
    position(/^kubectl --context minikube apply -f https:\/\/raw\.githubusercontent\.com\/metallb\/metallb\/v0\.16\.1\/config\/manifests\/metallb-native\.yaml$/),
    position(/rollout status daemonset\/speaker/),
    position(/^minikube -p minikube image build /),
    position(/apply -f \S+\/manifests\/ft-services-namespace\.k8s\.yaml$/),
    position(/create secret tls tls /),
    position(/apply -f \S+\/manifests\/ft-services-metallb\.k8s\.yaml$/),
    position(/apply -f \S+\/manifests\/ft-services\.k8s\.yaml$/),
    position(/rollout status daemonset\.apps\/telegraf/),
    position(/wait service\/nginx --for=jsonpath=\{\.status\.loadBalancer\.ingress\[0\]\.ip\}=192\.168\.49\.240/),
  ];
  expect([...order].sort((a, b) => a - b)).toEqual(order);
});

test('S1 every step is printed with the time it took', () => {
  expect(first.out.match(/^==> /gm)?.length).toBeGreaterThanOrEqual(12);
  expect(first.out.match(/^ {4}done in \d+s$/gm)?.length).toBe(first.out.match(/^==> /gm)?.length);
});

test('D3 what it applies is the chart, synthesized for the chosen address and the image tags, into .ft/ and never dist/', () => {
  const applied = firstCalls.filter((call) => / apply -f \//.test(call)).map((call) => call.split(' apply -f ')[1]);
  expect(applied).toEqual([
    path.join(manifests, 'ft-services-namespace.k8s.yaml'),
    path.join(manifests, 'ft-services-metallb.k8s.yaml'),
    path.join(manifests, 'ft-services.k8s.yaml'),
  ]);
  expect(firstManifests['ft-services-metallb.k8s.yaml']).toContain('- 192.168.49.240/32');
  for (const service of SERVICE_NAMES) expect(firstManifests['ft-services.k8s.yaml']).toContain(`image: ${service}:${tag(service)}`);
  const committed = fs.readFileSync(path.join(ROOT, 'dist', 'ft-services.k8s.yaml'), 'utf8');
  expect(committed).toContain('image: nginx:0.1.0');
  expect(spawnSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: ROOT, encoding: 'utf8' }).stdout).toBe('');
});

test('S2 B9 the eight images are built into minikube from srcs/, tagged with their content hash', () => {
  const builds = firstCalls.filter((call) => call.includes(' image build ')).map((call) => call.replace(` ${path.join(ROOT, 'srcs')}`, ' srcs'));
  expect(builds.sort()).toEqual(SERVICE_NAMES.map((service) => `minikube -p minikube image build -t ${service}:${tag(service)} -f ${service}/Dockerfile srcs`).sort());
});

test('S3 it enables the Kubernetes dashboard and tells how to open it and log in', () => {
  expect(firstCalls).toContain('minikube -p minikube addons enable dashboard');
  expect(first.out).toContain('minikube -p minikube dashboard --url');
  expect(first.out).toContain('-n kubernetes-dashboard create token kubernetes-dashboard');
});

test('S3 B2 the summary lists every address and where the credentials are, without any password', () => {
  for (const url of ['https://192.168.49.240/', 'https://192.168.49.240:5050/', 'https://192.168.49.240:5000/', 'http://192.168.49.240:3000/', 'ssh ftadmin@192.168.49.240 -p 22']) {
    expect(first.out).toContain(url);
  }
  expect(first.out).toContain(path.join(state, 'secrets'));
  for (const [file, value] of Object.entries(firstSecrets)) {
    if (file.startsWith('tls/')) continue;
    expect({ file, shown: first.out.includes(value.trim()) }).toEqual({ file, shown: false });
  }
});
