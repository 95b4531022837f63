/**
 * The CI cluster's `minikube` (issue 17, B14): the commands setup.sh uses, answered in minikube's
 * own shapes (sources named in test/cluster/support/minikube-shim.ts), everything else refused.
 * The cluster is scripted here; test/cluster/ runs the program against the real one.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { addonsJson, dashboardManifest, imageListing, METRICS_SERVER, minikube, normalizeImage, parseImageBuild, parseInvocation, Ran, renderStatus, Runner, ShimContext, statusExitCode } from './cluster/support/minikube-shim';

const SCRIPTS = '/ci/cluster';
const NODE_JSON = JSON.stringify({ items: [{ metadata: { name: 'ftk-node' }, status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '198.18.0.2' }] } }] });

/** A runner answering by the first pattern that matches `program args…`; unscripted calls fail the test. */
function scripted(answers: ReadonlyArray<readonly [RegExp, Partial<Ran>]>): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = (program, args, options) => {
    const line = [program, ...args].join(' ');
    calls.push(options?.input === undefined ? line : `${line} <<< ${options.input.length} bytes`);
    const hit = answers.find(([pattern]) => pattern.test(line));
    if (!hit) throw new Error(`unscripted: ${line}`);
    return { status: 0, stdout: '', stderr: '', ...hit[1] };
  };
  return { run, calls };
}

const RUNNING: ReadonlyArray<readonly [RegExp, Partial<Ran>]> = [
  [/^\/ci\/cluster\/node true$/, {}],
  [/^kubectl config get-contexts minikube -o name$/, { stdout: 'minikube\n' }],
  [/get --raw \/readyz/, { stdout: 'ok' }],
  [/get nodes -o json/, { stdout: NODE_JSON }],
];

function drive(argv: readonly string[], answers: ReadonlyArray<readonly [RegExp, Partial<Ran>]>, busybox: readonly string[] = []) {
  const { run, calls } = scripted(answers);
  let out = '';
  let err = '';
  const context: ShimContext = { run, scripts: SCRIPTS, busybox, out: (text) => { out += text; }, err: (text) => { err += text; } };
  const status = minikube(context, argv);
  return { status, out, err, calls };
}

describe('B14 the CI minikube answers status as minikube does (cmd/minikube/cmd/status.go)', () => {
  test('B14 setup.sh\'s `status --format \'{{.Host}} {{.APIServer}}\'` prints "Running Running" for the running cluster and exits 0', () => {
    const ran = drive(['-p', 'minikube', 'status', '--format', '{{.Host}} {{.APIServer}}'], RUNNING);
    expect(ran).toMatchObject({ status: 0, out: 'Running Running' });
  });

  test('B14 a stopped node prints Stopped and exits 7 (host 1 | cluster 2 | kubeconfig 4)', () => {
    const ran = drive(['status', '--format={{.Host}} {{.APIServer}}'], [
      [/node true$/, { status: 1 }], [/get-contexts/, { status: 1 }],
    ]);
    expect(ran).toMatchObject({ status: 7, out: 'Stopped Stopped' });
  });

  test('B14 without --format it prints minikube\'s default status text', () => {
    const ran = drive(['status'], RUNNING);
    expect(ran.out).toBe('minikube\ntype: Control Plane\nhost: Running\nkubelet: Running\napiserver: Running\nkubeconfig: Configured\n\n');
  });

  test('B14 a template action it cannot carry out is refused, not guessed', () => {
    const status = { Name: 'm', Host: 'Running', Kubelet: 'Running', APIServer: 'Running', Kubeconfig: 'Configured', Worker: false, TimeToStop: '', DockerEnv: '', PodManEnv: '' } as const;
    expect(() => renderStatus('{{if .Host}}x{{end}}', status)).toThrow(/only \{\{\.Field\}\}/);
    expect(() => renderStatus('{{.Nope}}', status)).toThrow(/not \{\{\.Nope\}\}/);
    expect(statusExitCode({ ...status, Kubelet: 'Stopped' })).toBe(2);
  });
});

test('B14 -p, -pNAME, --profile and --profile=NAME name the profile wherever they stand; the default is minikube', () => {
  expect(parseInvocation(['-p', 'a', 'ip'])).toEqual({ profile: 'a', args: ['ip'] });
  expect(parseInvocation(['ip', '-pb'])).toEqual({ profile: 'b', args: ['ip'] });
  expect(parseInvocation(['--profile', 'c', 'ip'])).toEqual({ profile: 'c', args: ['ip'] });
  expect(parseInvocation(['ip', '--profile=d'])).toEqual({ profile: 'd', args: ['ip'] });
  expect(parseInvocation(['ip'])).toEqual({ profile: 'minikube', args: ['ip'] });
});

test('B14 `ip` prints the node\'s InternalIP the API server reports', () => {
  expect(drive(['-p', 'minikube', 'ip'], RUNNING)).toMatchObject({ status: 0, out: '198.18.0.2\n' });
});

test('B14 `start` on the running cluster checks the node is Ready and ends with minikube\'s "Done!"; with no cluster it says who starts it and exits 85', () => {
  const ran = drive(['-p', 'minikube', 'start', '--cpus=2', '--memory=3072', '--cni=calico'], RUNNING);
  expect(ran.status).toBe(0);
  expect(ran.out).toMatch(/not applied here: --cpus=2 --memory=3072 --cni=calico/);
  expect(ran.out).toMatch(/Done! kubectl is now configured to use "minikube" cluster/);
  const down = drive(['start'], [[/get nodes/, { status: 1 }]]);
  expect(down.status).toBe(85);
  expect(down.err).toMatch(/\.ci\/cluster\/up/);
});

describe('B14 add-ons (cmd/minikube/cmd/config/addons_list.go, deploy/addons/dashboard)', () => {
  const STORAGE = [/get storageclasses -o json/, { stdout: JSON.stringify({ items: [{ metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }] }) }] as const;

  /** Whether setup.sh's own addon_enabled reads `addon` as enabled in `listing`, minikube's answer. */
  function setupSeesEnabled(listing: string, addon: string): boolean {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-shim-setup-'));
    fs.writeFileSync(path.join(bin, 'listing'), listing);
    fs.writeFileSync(path.join(bin, 'minikube'), `#!/bin/sh\ncat '${path.join(bin, 'listing')}'\n`, { mode: 0o755 });
    const ran = spawnSync('/bin/bash', ['-c', `source '${path.join(__dirname, '..', 'setup.sh')}'\naddon_enabled ${addon}`], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    fs.rmSync(bin, { recursive: true });
    return ran.status === 0;
  }

  test('B14 `addons list -o json` is one line of sorted add-ons, {"dashboard":{"Profile":…,"Status":…}}, and setup.sh\'s addon_enabled reads it', () => {
    const ran = drive(['-p', 'minikube', 'addons', 'list', '-o', 'json'], [...RUNNING, [/-n kubernetes-dashboard get deployments -l kubernetes.io\/minikube-addons=dashboard -o name$/, { stdout: 'deployment.apps/dashboard-metrics-scraper\ndeployment.apps/kubernetes-dashboard\n' }],
      [/-n kube-system get deployments -l kubernetes.io\/minikube-addons=metrics-server -o name$/, { stdout: '' }], STORAGE]);
    expect(ran.out).toBe('{"dashboard":{"Profile":"minikube","Status":"enabled"},"default-storageclass":{"Profile":"minikube","Status":"enabled"},"metrics-server":{"Profile":"minikube","Status":"disabled"}}\n');
    expect(setupSeesEnabled(ran.out, 'dashboard')).toBe(true);
    expect(setupSeesEnabled(ran.out, 'metrics-server')).toBe(false);
    expect(setupSeesEnabled(addonsJson('minikube', { dashboard: false }), 'dashboard')).toBe(false);
  });

  test('B14 `addons enable dashboard` packs the stand-in image, imports it into the node\'s containerd and applies the add-on\'s objects', () => {
    const busybox = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ft-shim-')), 'busybox');
    fs.writeFileSync(busybox, 'an executable');
    const ran = drive(['-p', 'minikube', 'addons', 'enable', 'dashboard'], [...RUNNING, [/^ldd /, { stdout: '' }], [/pack-image|ctr -n k8s.io images import|kubectl --context minikube apply -f -/, {}]], [busybox]);
    fs.rmSync(path.dirname(busybox), { recursive: true });
    expect(ran.status).toBe(0);
    expect(ran.calls.find((call) => call.startsWith(`${SCRIPTS}/pack-image`))).toMatch(new RegExp(`--entrypoint \\["${busybox}"\\]$`));
    const packed = ran.calls.find((call) => call.startsWith(`${SCRIPTS}/pack-image`))!;
    const tar = packed.split(' ')[2];
    expect(ran.calls.slice(-2)).toEqual([`${SCRIPTS}/node ctr -n k8s.io images import ${tar}`, expect.stringMatching(/^kubectl --context minikube apply -f - <<< \d+ bytes$/)]);
    expect(ran.out).toMatch(/The 'dashboard' addon is enabled \(a stand-in/);
  });

  test('B14 the stand-in has the add-on\'s names, labels, selectors and ports, and says it is a stand-in', () => {
    const objects = dashboardManifest().split('\n').map((line) => JSON.parse(line));
    const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    expect(named('Namespace', 'kubernetes-dashboard').metadata.labels['kubernetes.io/minikube-addons']).toBe('dashboard');
    expect(named('ServiceAccount', 'kubernetes-dashboard').metadata.namespace).toBe('kubernetes-dashboard');
    expect(named('Service', 'kubernetes-dashboard').spec).toEqual({ ports: [{ port: 80, targetPort: 9090 }], selector: { 'k8s-app': 'kubernetes-dashboard' } });
    expect(named('Service', 'dashboard-metrics-scraper').spec).toEqual({ ports: [{ port: 8000, targetPort: 8000 }], selector: { 'k8s-app': 'dashboard-metrics-scraper' } });
    const dashboard = named('Deployment', 'kubernetes-dashboard');
    expect(dashboard.spec.template.metadata.labels).toEqual({ 'k8s-app': 'kubernetes-dashboard' });
    expect(dashboard.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 9090, protocol: 'TCP' }]);
    expect(dashboard.metadata.labels['ft-services.ci/stand-in']).toBe('true');
  });

  test('K8 B14 `addons enable|disable metrics-server` applies and deletes .ci/cluster/metrics-server.yaml, and `addons list` then reads it enabled', () => {
    const manifest = `${METRICS_SERVER.manifest}`;
    const enabled = drive(['-p', 'minikube', 'addons', 'enable', 'metrics-server'], [...RUNNING, [/^kubectl --context minikube apply -f /, {}]]);
    expect(enabled).toMatchObject({ status: 0, out: expect.stringMatching(/The 'metrics-server' addon is enabled/) });
    expect(enabled.calls.slice(-1)).toEqual([`kubectl --context minikube apply -f ${manifest}`]);
    const listed = drive(['addons', 'list', '-o', 'json'], [...RUNNING, [/minikube-addons=dashboard/, { stdout: '' }], [/-n kube-system get deployments -l kubernetes.io\/minikube-addons=metrics-server -o name$/, { stdout: 'deployment.apps/metrics-server\n' }], STORAGE]);
    expect(JSON.parse(listed.out)['metrics-server']).toEqual({ Profile: 'minikube', Status: 'enabled' });
    const disabled = drive(['addons', 'disable', 'metrics-server'], [...RUNNING, [/^kubectl --context minikube delete /, {}]]);
    expect(disabled.status).toBe(0);
    expect(disabled.calls.slice(-1)).toEqual([`kubectl --context minikube delete --ignore-not-found --wait=true -f ${manifest}`]);
  });

  test('K8 B14 the metrics-server manifest runs the version .ci/cluster/build compiles, under minikube\'s image name that add-on-images packs it as', () => {
    const scripts = path.dirname(METRICS_SERVER.manifest);
    const version = /^readonly METRICS_SERVER_VERSION=(v[\d.]+)/m.exec(fs.readFileSync(path.join(scripts, 'build'), 'utf8'))?.[1];
    const images = [...fs.readFileSync(METRICS_SERVER.manifest, 'utf8').matchAll(/^ +image: (.*)$/gm)].map((m) => m[1]);
    expect(images).toEqual([`registry.k8s.io/metrics-server/metrics-server:${version}`]);
    expect(fs.readFileSync(path.join(scripts, 'add-on-images'), 'utf8')).toMatch(/metrics-server\.yaml/);
  });

  test('B14 another add-on, or a list in another format, is refused', () => {
    expect(drive(['addons', 'enable', 'metallb'], RUNNING)).toMatchObject({ status: 1, err: expect.stringMatching(/only "addons list -o json"/) });
    expect(drive(['addons', 'list'], RUNNING)).toMatchObject({ status: 1, err: expect.stringMatching(/only -o json/) });
  });
});

describe('B14 images in the node\'s containerd (pkg/minikube/machine/cache_images.go ListImages)', () => {
  test('B14 `image ls` prints every tagged name in descending order, without image IDs or digests', () => {
    const names = ['docker.io/library/mysql:abc', 'sha256:0123', 'quay.io/metallb/speaker:v0.16.1', 'docker.io/library/mysql@sha256:99', 'docker.io/library/nginx:def', ''];
    expect(imageListing(names)).toBe('quay.io/metallb/speaker:v0.16.1\ndocker.io/library/nginx:def\ndocker.io/library/mysql:abc\n');
  });

  test('B14 names are normalised as containerd and the kubelet name them', () => {
    expect(normalizeImage('nginx:1')).toBe('docker.io/library/nginx:1');
    expect(normalizeImage('metallb/speaker:v1')).toBe('docker.io/metallb/speaker:v1');
    expect(normalizeImage('quay.io/metallb/speaker:v1')).toBe('quay.io/metallb/speaker:v1');
    expect(normalizeImage('localhost/x')).toBe('localhost/x:latest');
    expect(normalizeImage('localhost:5000/x:2')).toBe('localhost:5000/x:2');
  });

  test('B14 setup.sh\'s `image build -t IMG -f SVC/Dockerfile SRCS` is read as tag, Dockerfile in the context, and context; other options are refused', () => {
    expect(parseImageBuild(['-t', 'mysql:abc', '-f', 'mysql/Dockerfile', '/r/srcs'])).toEqual({ tag: 'mysql:abc', dockerfile: 'mysql/Dockerfile', context: '/r/srcs' });
    expect(parseImageBuild(['--tag=a:1', '/c'])).toEqual({ tag: 'a:1', dockerfile: 'Dockerfile', context: '/c' });
    expect(() => parseImageBuild(['-t', 'a:1', '--push', '/c'])).toThrow(/--push is not carried out/);
    expect(() => parseImageBuild(['/c'])).toThrow(/-t NAME:TAG is required/);
  });

  test('B14 `image build` runs the images builder on the Dockerfile and imports the tar it wrote into the node', () => {
    const srcs = path.join(__dirname, '..', 'srcs');
    const ran = drive(['-p', 'minikube', 'image', 'build', '-t', 'mysql:abc', '-f', 'mysql/Dockerfile', srcs], [...RUNNING, [/build-image|images import/, {}]]);
    expect(ran.status).toBe(0);
    const [built, imported] = ran.calls.slice(-2);
    const tar = built.split(' ').pop();
    expect(built).toBe(`${SCRIPTS}/build-image mysql:abc ${path.join(srcs, 'mysql', 'Dockerfile')} ${srcs} ${tar}`);
    expect(imported).toBe(`${SCRIPTS}/node ctr -n k8s.io images import ${tar}`);
    expect(ran.out).toBe('Successfully tagged docker.io/library/mysql:abc\n');
  });

  test('B14 a failed build exits non-zero and imports nothing', () => {
    const srcs = path.join(__dirname, '..', 'srcs');
    const ran = drive(['image', 'build', '-t', 'mysql:abc', '-f', 'mysql/Dockerfile', srcs], [...RUNNING, [/build-image/, { status: 2 }]]);
    expect(ran.status).toBe(1);
    expect(ran.calls.some((call) => call.includes('images import'))).toBe(false);
  });

  test('B14 `image rm NAME` removes the normalised name from the node\'s containerd', () => {
    const ran = drive(['-p', 'minikube', 'image', 'rm', 'mysql:abc'], [...RUNNING, [/images rm/, {}]]);
    expect(ran.calls.at(-1)).toBe(`${SCRIPTS}/node ctr -n k8s.io images rm docker.io/library/mysql:abc`);
  });
});

test('B14 `kubectl -- ARGS` runs kubectl with ARGS; any command setup.sh does not use is refused with exit 64', () => {
  expect(drive(['-p', 'minikube', 'kubectl', '--', 'get', 'pods'], [[/^kubectl get pods$/, { status: 3 }]]).status).toBe(3);
  const refused = drive(['dashboard', '--url'], RUNNING);
  expect(refused.status).toBe(64);
  expect(refused.err).toMatch(/is not carried out by the CI cluster's minikube/);
});
