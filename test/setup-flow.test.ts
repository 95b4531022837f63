/**
 * Whole `./setup.sh` runs (S1, S3, D3, B9, B13) against the fake minikube and kubectl of
 * test/support/fake-cluster.ts (they record what they are asked and answer in the real programs'
 * shapes), with the real synth, credentials and content-hash tags: the order of the steps, what is
 * applied and how, what a second run does, and the two ways a user used to get stuck (a bad address,
 * a forgotten --config).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { SERVICE_NAMES } from '../lib/config';
import { filesUnder } from '../lib/files';
import { imageTag } from '../lib/setup/image-tags';
import { FakeCluster, fakeCluster, fakeEnvironment, readLines } from './support/fake-cluster';

const ROOT = path.resolve(__dirname, '..');

interface Run { status: number | null; out: string; stderr: string; seconds: number }

const contents = (dir: string) => Object.fromEntries(filesUnder(dir).map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]));

/** A fake cluster with a `node` that records each start of bin/ft.ts, and the environment to reach it. */
function cluster(options: Parameters<typeof fakeCluster>[0] = {}) {
  const fake = fakeCluster(options);
  const node = process.execPath;
  fs.writeFileSync(path.join(fake.bin, 'node'), `#!/bin/sh\ncase "$*" in *bin/ft.ts*) echo "node $*" >> "$FAKE_CALLS" ;; esac\nexec "${node}" "$@"\n`, { mode: 0o755 });
  const state = path.join(fake.dir, 'state');
  const env = { ...process.env, ...fakeEnvironment(fake), PATH: `${fake.bin}:${process.env.PATH}`, FT_STATE_DIR: state, NO_COLOR: '' };
  const setup = (args: readonly string[], extra: NodeJS.ProcessEnv = {}): Run => {
    fs.writeFileSync(fake.calls, '');
    const start = Date.now();
    const result = spawnSync('/bin/bash', [path.join(ROOT, 'setup.sh'), ...args], { cwd: ROOT, env: { ...env, ...extra }, input: '', encoding: 'utf8', timeout: 240000 });
    return { status: result.status, out: `${result.stdout}${result.stderr}`, stderr: result.stderr, seconds: (Date.now() - start) / 1000 };
  };
  return { fake, state, setup, calls: () => readLines(fake.calls) };
}

const temporary: FakeCluster[] = [];
afterAll(() => temporary.forEach((fake) => fs.rmSync(fake.dir, { recursive: true, force: true })));
const tag = (service: string) => imageTag(path.join(ROOT, 'srcs'), service);
/** The objects of the stack's apply (its Secrets and the chart) in a set of synthesized manifests. */
const stackObjects = (manifests: Record<string, string>) => ['ft-services-secrets.k8s.yaml', 'ft-services.k8s.yaml']
  .reduce((sum, file) => sum + YAML.parseAllDocuments(manifests[file]).filter((document) => document.contents !== null).length, 0);
const ftCalls = (calls: readonly string[]) => calls.filter((call) => call.startsWith('node ') && call.includes('bin/ft.ts'));

describe('S1 B9 B13 a first run, a refused run, and a second run on a running minikube', () => {
  const run = cluster({ cni: 'calico' });
  temporary.push(run.fake);
  const manifests = path.join(run.state, 'manifests');
  let first: Run;
  let firstCalls: string[];
  let firstManifests: Record<string, string>;
  let firstState: Record<string, string>;
  let refused: Run;
  let refusedCalls: string[];
  let afterRefused: Record<string, string>;
  let second: Run;
  let secondCalls: string[];

  beforeAll(() => {
    first = run.setup(['up']);
    firstCalls = run.calls();
    firstManifests = contents(manifests);
    firstState = contents(run.state);
    refused = run.setup(['up'], { FT_LB_ADDRESS: '10.0.0' });
    refusedCalls = run.calls();
    afterRefused = contents(run.state);
    second = run.setup(['up']);
    secondCalls = run.calls();
  }, 480000);

  test('S1 ./setup.sh brings the stack up in order: dashboard, MetalLB, images, namespace, address pool, Secrets and stack, rollouts, addresses', () => {
    expect(first.status).toBe(0);
    const position = (pattern: RegExp): number => {
      const found = firstCalls.findIndex((call) => pattern.test(call));
      if (found < 0) throw new Error(`no call matches ${pattern}:\n${firstCalls.join('\n')}`);
      return found;
    };
    const order = [
      position(/^minikube -p minikube ip$/),
      position(/^node .*bin\/ft\.ts prepare /),
      position(/^minikube -p minikube addons enable dashboard$/),
      position(/^kubectl --context minikube apply -f https:\/\/raw\.githubusercontent\.com\/metallb\/metallb\/v0\.16\.1\/config\/manifests\/metallb-native\.yaml$/),
      position(/patch daemonset speaker .*--ignore-exclude-lb/),
      position(/rollout status daemonset\/speaker/),
      position(/^minikube -p minikube image build /),
      position(/apply --server-side .* -f \S+\/manifests\/ft-services-namespace\.k8s\.yaml$/),
      position(/apply --server-side .* -f \S+\/manifests\/ft-services-metallb\.k8s\.yaml$/),
      position(/apply --server-side .* -f \S+\/manifests\/ft-services\.k8s\.yaml$/),
      position(/rollout status daemonset\.apps\/telegraf/),
      position(/wait service\/nginx --for=jsonpath=\{\.status\.loadBalancer\.ingress\[0\]\.ip\}=192\.168\.49\.240/),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('S1 every step is printed with the time it took', () => {
    expect(first.out.match(/^==> /gm)?.length).toBeGreaterThanOrEqual(10);
    expect(first.out.match(/^ {4}done in \d+s$/gm)?.length).toBe(first.out.match(/^==> (?!Reusing)/gm)?.length);
  });

  test('B13 one TypeScript call per run: bin/ft.ts prepare validates, writes .ft/ and synthesizes', () => {
    expect(ftCalls(firstCalls).map((call) => call.replace(/^.*bin\/ft\.ts /, '').split(' ')[0])).toEqual(['prepare']);
    expect(ftCalls(secondCalls)).toHaveLength(1);
    expect(firstCalls.some((call) => / synth/.test(call))).toBe(false);
  });

  test('D3 K2 it applies the chart synthesized for the chosen address and tags, server-side with an ApplySet, into .ft/ and never dist/', () => {
    // kubectl pkg/cmd/apply/apply.go: --applyset needs --prune and, for a Secret parent, -n; the fake refuses otherwise.
    const applies = firstCalls.filter((call) => / apply --server-side /.test(call));
    expect(applies).toEqual([
      `kubectl --context minikube apply --server-side --field-manager=ft-setup -f ${manifests}/ft-services-namespace.k8s.yaml`,
      `kubectl --context minikube apply --server-side --field-manager=ft-setup -n metallb-system --applyset=ft-services-pool-applyset --prune -f ${manifests}/ft-services-metallb.k8s.yaml`,
      `kubectl --context minikube apply --server-side --field-manager=ft-setup -n ft-services --applyset=ft-services-applyset --prune -f ${manifests}/ft-services-secrets.k8s.yaml -f ${manifests}/ft-services.k8s.yaml`,
    ]);
    expect(firstCalls.filter((call) => / apply /.test(call) && !/--server-side|metallb-native\.yaml/.test(call))).toEqual([]);
    // A Secret an older client-side apply made loses the copy of its values in last-applied-configuration.
    expect(firstCalls).toContain('kubectl --context minikube -n ft-services annotate secrets -l app.kubernetes.io/part-of=ft-services kubectl.kubernetes.io/last-applied-configuration-');
    // Every object of the stack's apply (its Secrets and the chart), counted from the files, is new on the first run.
    expect(first.out).toContain(`${stackObjects(firstManifests)} of ${stackObjects(firstManifests)} objects created or changed`);
    expect(firstManifests['ft-services-metallb.k8s.yaml']).toContain('- 192.168.49.240/32');
    for (const service of SERVICE_NAMES) expect(firstManifests['ft-services.k8s.yaml']).toContain(`image: ${service}:${tag(service)}`);
    expect(fs.statSync(path.join(manifests, 'ft-services-secrets.k8s.yaml')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(ROOT, 'dist', 'ft-services.k8s.yaml'), 'utf8')).toContain('image: nginx:0.1.0');
    expect(spawnSync('git', ['status', '--porcelain', '--', 'dist'], { cwd: ROOT, encoding: 'utf8' }).stdout).toBe('');
  });

  test('B9 every pod template carries the checksum of the Secrets it mounts, from .ft/config.json', () => {
    const setupConfig = JSON.parse(firstState['config.json']);
    expect(Object.keys(setupConfig.secretChecksums)).toContain('tls');
    expect(firstManifests['ft-services.k8s.yaml'].match(new RegExp(`ft-services/checksum-secret-tls: ${setupConfig.secretChecksums.tls}`, 'g'))).toHaveLength(5);
  });

  test('S2 B9 the eight images are built into minikube from srcs/, tagged with their content hash', () => {
    const builds = firstCalls.filter((call) => call.includes(' image build ')).map((call) => call.replace(` ${path.join(ROOT, 'srcs')}`, ' srcs'));
    expect(builds.sort()).toEqual(SERVICE_NAMES.map((service) => `minikube -p minikube image build -t ${service}:${tag(service)} -f ${service}/Dockerfile srcs`).sort());
  });

  test('S3 it enables the Kubernetes dashboard and tells how to open it and log in with the kubectl it uses', () => {
    expect(firstCalls).toContain('minikube -p minikube addons enable dashboard');
    expect(first.out).toContain('minikube -p minikube dashboard --url');
    expect(first.out).toContain('kubectl --context minikube -n kubernetes-dashboard create token kubernetes-dashboard');
  });

  test('S3 B2 B13 the summary lists every address, /wp-admin, an FTPS client, where the credentials are, without any password', () => {
    for (const url of ['https://192.168.49.240/', 'https://192.168.49.240:5050/wp-admin/', 'https://192.168.49.240:5000/', 'https://192.168.49.240:3000/', 'ssh ftadmin@192.168.49.240 -p 22',
      `curl --ssl-reqd --cacert ${run.state}/secrets/tls/tls.crt --user ftpuser ftp://192.168.49.240:21/`]) {
      expect(first.out).toContain(url);
    }
    const rows = first.out.split('\n').filter((line) => /^ {2}(https?|ftp):\/\/|^ {2}ssh /.test(line));
    expect(new Set(rows.map((row) => row.search(/ {2}\S+ {2,}/) >= 0 && row.indexOf(row.trim().split(/\s{2,}/)[1]))).size).toBe(1);
    for (const [file, value] of Object.entries(firstState).filter(([name]) => name.startsWith('secrets/') && !name.startsWith('secrets/tls/'))) {
      expect({ file, shown: first.out.includes(value.trim()) }).toEqual({ file, shown: false });
    }
  });

  test('B13 a bad FT_LB_ADDRESS is refused before anything changes, and says so', () => {
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('error: FT_LB_ADDRESS is "10.0.0"; allowed: an IPv4 address in the node\'s network, such as 192.168.49.240');
    expect(refused.stderr).toContain('Nothing was changed.');
    expect(refused.out).not.toMatch(/line \d+|load-balancer address: 10\.0\.0/);
    expect(refusedCalls.filter((call) => /apply|image build|addons enable|patch/.test(call))).toEqual([]);
    expect(afterRefused).toEqual(firstState);
  });

  test('B9 B13 a second run after the refused one succeeds, quick and idempotent: no image rebuilt, no credential changed, the same manifests', () => {
    expect(second.status).toBe(0);
    expect(secondCalls.filter((call) => / image build | addons enable |metallb-native\.yaml|patch daemonset/.test(call))).toEqual([]);
    expect(contents(run.state)).toEqual(expect.objectContaining(Object.fromEntries(Object.entries(firstState).filter(([file]) => file.startsWith('secrets/') || file.startsWith('manifests/')))));
    for (const service of SERVICE_NAMES) expect(second.out).toContain(`${service}:${tag(service)} is already in the cluster`);
    // Measured for the record; the limit only catches a return to one Node start per fact.
    expect(second.seconds).toBeLessThan(60);
  });

  test('B9 a second run with nothing to change says so: server-side apply names every object, but the cluster changed none', () => {
    expect(second.out).toContain(`nothing to change: the cluster already held all ${stackObjects(firstManifests)} objects as the chart has them`);
    expect(second.out).not.toMatch(/objects created or changed/);
  });

  test('B13 status shows the addresses, the credentials and each service\'s pods from the scripted cluster, changing nothing', () => {
    // The fields of `kubectl get pods -o json` status reads (core/v1 Pod): name, labels, phase, containerStatuses.
    const pod = (service: string, state: object, ready: boolean, restartCount: number) => ({
      metadata: { name: `${service}-5d8f9c7b6-abcde`, labels: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/instance': 'ft-services' } },
      status: { phase: ready ? 'Running' : 'Pending', containerStatuses: [{ name: service, ready, restartCount, state }] },
    });
    const items = SERVICE_NAMES.filter((service) => service !== 'ftps').map((service) => pod(service, { running: { startedAt: '2026-12-01T23:00:00Z' } }, true, service === 'mysql' ? 1 : 0));
    items.push(pod('grafana', { waiting: { reason: 'CrashLoopBackOff' } }, false, 4));
    fs.writeFileSync(path.join(run.fake.state, 'pods.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const before = contents(run.state);
    const status = run.setup(['status']);
    expect(status.status).toBe(0);
    expect(status.out).toContain('https://192.168.49.240:5050/');
    expect(status.out).toMatch(/^ {2}SERVICE +POD +READY +STATUS +RESTARTS$/m);
    expect(status.out).toMatch(/^ {2}mysql +mysql-5d8f9c7b6-abcde +1\/1 +Running +1$/m);
    expect(status.out).toMatch(/^ {2}grafana +grafana-5d8f9c7b6-abcde +0\/1 +CrashLoopBackOff +4$/m);
    expect(status.out).toMatch(/^ {2}ftps +- +0\/0 +no pod +-$/m);
    expect(status.out).toContain('Not ready: ftps, grafana. See why: kubectl --context minikube -n ft-services describe pod <pod>');
    expect(ftCalls(run.calls())).toHaveLength(1);
    expect(run.calls().filter((call) => /apply|delete|patch|enable/.test(call))).toEqual([]);
    expect(contents(run.state)).toEqual(before);
  });
});

describe('S10 B13 storage the deployed stack cannot take is refused before anything is applied', () => {
  const run = cluster({ cni: 'calico' });
  temporary.push(run.fake);
  const userConfig = (name: string, storage: object) => {
    const file = path.join(run.fake.dir, name);
    fs.writeFileSync(file, JSON.stringify({ storage }));
    return file;
  };
  const larger = userConfig('larger.json', { sizes: { mysql: '2Gi' } });
  const clusterCalls = () => run.calls().filter((call) => /^(kubectl|minikube) /.test(call));
  let first: Run;

  beforeAll(() => {
    first = run.setup(['up']);
  }, 240000);

  test('B13 setup remembers the storage it deployed', () => {
    expect(first.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(run.state, 'deployed-storage.json'), 'utf8')))
      .toEqual({ sizes: { mysql: '1Gi', wordpress: '1Gi', ftps: '1Gi', influxdb: '1Gi', grafana: '256Mi' } });
  });

  test('S10 B13 validate refuses a smaller volume without a cluster, and notes that a larger one depends on the class', () => {
    const smaller = run.setup(['validate', '--config', userConfig('smaller.json', { sizes: { mysql: '512Mi' } })]);
    expect(smaller.status).toBe(1);
    expect(smaller.stderr).toContain('error: storage.sizes.mysql is "512Mi"; the stack was deployed with "1Gi", and Kubernetes never makes a bound claim smaller');
    expect(smaller.stderr).toContain(`(Compared with what setup last deployed, ${run.state}/deployed-storage.json; if that cluster is gone, e.g. after minikube delete, remove the file.)`);
    const grown = run.setup(['validate', '--config', larger]);
    expect(grown.status).toBe(0);
    expect(grown.out).toContain('note: storage.sizes.mysql is "2Gi"; the stack was deployed with "1Gi": ./setup.sh up grows mysql-data only if its StorageClass allows volume expansion');
    expect(clusterCalls()).toEqual([]);
  });

  test('S10 B13 up refuses a larger volume on minikube\'s class, which cannot expand, before it builds or applies anything', () => {
    const before = contents(run.state);
    const refused = run.setup(['up', '--config', larger]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('error: storage.sizes.mysql is "2Gi"; the stack was deployed with "1Gi", and mysql-data cannot grow: its StorageClass "standard" does not allow volume expansion');
    expect(refused.stderr).toContain('Nothing was changed.');
    expect(clusterCalls().filter((call) => / apply | image build | addons enable /.test(call))).toEqual([]);
    expect(contents(run.state)).toEqual(before);
  });

  test('S10 B13 on a class that allows expansion up grows the volume, changing that claim alone, and remembers the new size', () => {
    fs.writeFileSync(path.join(run.fake.state, 'expandable'), '');
    const grown = run.setup(['up', '--config', larger]);
    expect(grown.status).toBe(0);
    expect(grown.out).toMatch(/ {4}1 of \d+ objects created or changed/);
    expect(JSON.parse(fs.readFileSync(path.join(run.state, 'deployed-storage.json'), 'utf8')).sizes.mysql).toBe('2Gi');
  });
});

describe('B13 the settings of --config are remembered by every later command', () => {
  const run = cluster({ cni: 'calico' });
  temporary.push(run.fake);
  const mine = path.join(run.fake.dir, 'mine.json');
  const other = path.join(run.fake.dir, 'other.json');
  fs.writeFileSync(mine, JSON.stringify({ namespace: 'my-stack', ports: { wordpress: 8080 } }));
  fs.writeFileSync(other, JSON.stringify({ namespace: 'other' }));
  let up: Run;

  beforeAll(() => {
    up = run.setup(['up', '--config', mine]);
  }, 240000);

  test('B13 up applies the user\'s namespace and ports, and remembers the file in .ft/user-config.json', () => {
    expect(up.status).toBe(0);
    expect(up.out).toContain('https://192.168.49.240:8080/');
    expect(JSON.parse(fs.readFileSync(path.join(run.state, 'user-config.json'), 'utf8'))).toEqual({ namespace: 'my-stack', ports: { wordpress: 8080 } });
  });

  test('B13 status without --config shows the remembered stack', () => {
    const status = run.setup(['status']);
    expect(status.out).toContain('https://192.168.49.240:8080/');
    expect(status.out).toContain('Pods in namespace my-stack:');
  });

  test('B13 another --config is refused for delete, with what to do instead, and nothing is deleted', () => {
    const refused = run.setup(['delete', '--yes', '--config', other]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`error: ${other} is not the configuration this stack was set up with (${run.state}/user-config.json). To change the stack, run ./setup.sh up --config ${other}`);
    expect(run.calls().filter((call) => / delete /.test(call))).toEqual([]);
    expect(fs.existsSync(path.join(run.state, 'secrets'))).toBe(true);
  });

  test('B13 delete without --config deletes the namespace of the remembered stack, and only what setup made', () => {
    const deleted = run.setup(['delete', '--yes']);
    expect(deleted.status).toBe(0);
    const calls = run.calls();
    expect(calls).toContain('kubectl --context minikube delete namespace my-stack --ignore-not-found --wait=true');
    expect(calls.filter((call) => call.includes('delete namespace'))).toHaveLength(1);
    expect(calls).toContain('kubectl --context minikube delete -f https://raw.githubusercontent.com/metallb/metallb/v0.16.1/config/manifests/metallb-native.yaml --ignore-not-found');
    expect(calls).toContain('minikube -p minikube addons disable dashboard');
    expect(calls).toContain('kubectl --context minikube -n metallb-system delete ipaddresspools.metallb.io,l2advertisements.metallb.io -l app.kubernetes.io/part-of=ft-services --ignore-not-found');
    expect(calls).toContain('kubectl --context minikube -n metallb-system delete secret ft-services-pool-applyset --ignore-not-found');
    expect(fs.existsSync(run.state)).toBe(false);
  });
});

describe('B8 B13 on a stopped minikube', () => {
  const run = cluster({ running: false });
  temporary.push(run.fake);

  test('B13 a bad configuration file is refused before minikube is started', () => {
    const bad = path.join(run.fake.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ports: { wordpres: 8080 } }));
    const refused = run.setup(['up', '--config', bad]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`error: stack config: ports.wordpres is 8080; allowed: one of the known fields: http, https, ssh, wordpress, phpmyadmin, ftps, grafana (did you mean "wordpress"?) (in ${bad})`);
    expect(refused.stderr.match(/error:/g)).toHaveLength(1);
    expect(run.calls().filter((call) => call.startsWith('minikube') && !call.includes(' status '))).toEqual([]);
    expect(fs.existsSync(run.state)).toBe(false);
  });

  test('B8 B13 a cluster setup starts gets calico (minikube pkg/minikube/cni/cni.go: bridge ignores NetworkPolicies); a failed start names the step', () => {
    const up = run.setup(['up'], { FAKE_START_FAILS: '1' });
    expect(up.status).toBe(56);
    expect(run.calls()).toContain('minikube -p minikube start --cpus=2 --memory=3072 --cni=calico');
    expect(ftCalls(run.calls()).map((call) => call.replace(/^.*bin\/ft\.ts /, '').split(' ')[0])).toEqual(['validate']);
    expect(up.stderr).toContain('DRV_NOT_HEALTHY');
    expect(up.stderr).toContain('error: Starting minikube (profile minikube, network plugin calico) failed (exit status 56); its output is above.\nFix what it says and run ./setup.sh again: it resumes.');
  });
});

test('B13 validate checks a configuration without minikube or a cluster, and changes nothing', () => {
  const run = cluster();
  temporary.push(run.fake);
  fs.rmSync(path.join(run.fake.bin, 'minikube'));
  fs.rmSync(path.join(run.fake.bin, 'kubectl'));
  const good = run.setup(['validate', '--config', path.join(ROOT, 'config.example.json')]);
  expect(good.status).toBe(0);
  expect(good.out).toContain(`${path.join(ROOT, 'config.example.json')}: valid (namespace my-stack, load balancer metallb)`);
  const list = path.join(run.fake.dir, 'list.json');
  fs.writeFileSync(list, '[]');
  const bad = run.setup(['validate', '--config', list]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toBe(`error: ${list}: must hold one JSON object ({ "namespace": …, "ports": { … } }), not a list\n`);
  expect(fs.existsSync(run.state)).toBe(false);
});

describe('K8 B13 autoscaling brings minikube\'s metrics server, and status shows what each pod uses', () => {
  const run = cluster({ cni: 'calico' });
  const kept = cluster({ cni: 'calico' });
  temporary.push(run.fake, kept.fake);
  const autoscaled = path.join(run.fake.dir, 'autoscaled.json');
  fs.writeFileSync(autoscaled, JSON.stringify({ autoscaling: { nginx: { enabled: true } } }));
  let up: Run;
  let upCalls: string[];

  beforeAll(() => {
    up = run.setup(['up', '--config', autoscaled]);
    upCalls = run.calls();
  }, 240000);

  test('K8 with an autoscaler on, up enables the metrics-server add-on, and remembers it enabled it', () => {
    expect(up.status).toBe(0);
    expect(upCalls).toContain('minikube -p minikube addons enable metrics-server');
    expect(readLines(path.join(run.state, 'made'))).toContain('addon metrics-server');
  });

  test('B13 status shows each pod\'s CPU and memory from kubectl top once the metrics server answers', () => {
    fs.writeFileSync(path.join(run.fake.state, 'pods.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{
      metadata: { name: 'nginx-5d8f9c7b6-abcde', labels: { 'app.kubernetes.io/name': 'nginx', 'app.kubernetes.io/instance': 'ft-services' } },
      status: { phase: 'Running', containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: { running: {} } }] },
    }] }));
    fs.writeFileSync(path.join(run.fake.state, 'top-pods'), 'nginx-5d8f9c7b6-abcde   3m   14Mi\n');
    const status = run.setup(['status']);
    expect(status.status).toBe(0);
    expect(run.calls()).toContain('kubectl --context minikube -n ft-services top pods -l app.kubernetes.io/instance=ft-services --no-headers');
    expect(status.out).toMatch(/^ {2}SERVICE +POD +READY +STATUS +RESTARTS +CPU +MEMORY$/m);
    expect(status.out).toMatch(/^ {2}nginx +nginx-5d8f9c7b6-abcde +1\/1 +Running +0 +3m +14Mi$/m);
    // A service without a pod has nothing measured.
    expect(status.out).toMatch(/^ {2}mysql +- +0\/0 +no pod +- +- +-$/m);
  });

  test('K8 delete disables the metrics-server add-on that setup enabled', () => {
    const deleted = run.setup(['delete', '--yes']);
    expect(deleted.status).toBe(0);
    expect(run.calls()).toContain('minikube -p minikube addons disable metrics-server');
    expect(fs.existsSync(path.join(run.fake.state, 'metrics-server'))).toBe(false);
  });

  test('K8 B13 without a metrics server status says why it shows no CPU and memory; a metrics server setup did not enable stays on delete', () => {
    const up = kept.setup(['up']);
    expect(up.status).toBe(0);
    // Autoscaling off: no metrics server is asked for.
    expect(kept.calls().filter((call) => call.includes('metrics-server'))).toEqual([]);
    const status = kept.setup(['status']);
    expect(status.out).toMatch(/^ {2}SERVICE +POD +READY +STATUS +RESTARTS$/m);
    expect(status.out).toContain('(CPU and memory: no metrics server answers; autoscaling.<service>.enabled has ./setup.sh enable one)');
    fs.writeFileSync(path.join(kept.fake.state, 'metrics-server'), '');
    const again = kept.setup(['up', '--config', autoscaled]);
    expect(again.status).toBe(0);
    expect(kept.calls()).not.toContain('minikube -p minikube addons enable metrics-server');
    expect(again.out).toContain('metrics-server add-on already enabled');
    expect(kept.setup(['delete', '--yes']).status).toBe(0);
    expect(kept.calls().filter((call) => call.includes('metrics-server'))).toEqual([]);
  }, 240000);
});
