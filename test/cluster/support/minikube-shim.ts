/**
 * The `minikube` of the CI cluster (issue 17, B14): `./setup.sh` runs unmodified against the real
 * Kubernetes that `.ci/cluster/up` starts, and this program carries out on it exactly the minikube
 * commands setup.sh uses, printing what minikube prints. Everything else is refused loudly, so a new
 * minikube call in setup.sh cannot pass unnoticed. `.ci/cluster/minikube` runs it.
 *
 * Shapes read in minikube's source (github.com/kubernetes/minikube):
 *   status        cmd/minikube/cmd/status.go: --format is a Go template over cluster.Status; exit
 *                 code 1|2|4 (host, cluster, Kubernetes not running); defaultStatusFormat.
 *   addons list   cmd/minikube/cmd/config/addons_list.go printAddonsJSON: one line,
 *                 {"<addon>":{"Profile":"<profile>","Status":"enabled|disabled"},…}, sorted keys.
 *   image ls      pkg/minikube/machine/cache_images.go ListImages, format "short": every RepoTag of
 *                 the node's runtime (containerd's CRI: docker.io/library/NAME:TAG), sorted in
 *                 descending order, one a line.
 *   dashboard     deploy/addons/dashboard/*.yaml: namespace kubernetes-dashboard, ServiceAccount,
 *                 Services kubernetes-dashboard (80 → 9090) and dashboard-metrics-scraper (8000),
 *                 Deployments of the same names selected by k8s-app, labelled
 *                 kubernetes.io/minikube-addons=dashboard.
 *   metrics-server deploy/addons/metrics-server/: Deployment kube-system/metrics-server labelled
 *                 kubernetes.io/minikube-addons=metrics-server; here .ci/cluster/metrics-server.yaml,
 *                 the real metrics-server built from its Go module (.ci/cluster/build).
 */
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The scripts of the CI cluster (`.ci/cluster/node`, `pack-image`, `build-image`). */
export const CLUSTER_SCRIPTS = path.resolve(__dirname, '../../../.ci/cluster');

/** A command's outcome, as spawnSync gives it. */
export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; injected so the tests can answer for kubectl and the node. */
export type Runner = (program: string, args: readonly string[], options?: { readonly input?: string; readonly inherit?: boolean }) => Ran;

/** A refusal or failure: its message goes to stderr, its code is the exit status. */
export class ShimError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface Invocation {
  readonly profile: string;
  readonly args: readonly string[];
}

/** `-p NAME`, `-pNAME`, `--profile NAME`, `--profile=NAME` anywhere; minikube's default is "minikube". */
export function parseInvocation(argv: readonly string[]): Invocation {
  let profile = 'minikube';
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-p' || arg === '--profile') {
      if (i + 1 >= argv.length) throw new ShimError(`${arg} needs a profile name`);
      profile = argv[++i];
    } else if (arg.startsWith('--profile=')) profile = arg.slice('--profile='.length);
    else if (/^-p[^-]/.test(arg)) profile = arg.slice(2);
    else args.push(arg);
  }
  return { profile, args };
}

/** The fields of minikube's cluster.Status (pkg/minikube/cluster/status.go) that a template may name. */
export interface ClusterStatus {
  readonly Name: string;
  readonly Host: 'Running' | 'Stopped';
  readonly Kubelet: 'Running' | 'Stopped';
  readonly APIServer: 'Running' | 'Stopped';
  readonly Kubeconfig: 'Configured' | 'Misconfigured';
  readonly Worker: boolean;
  readonly TimeToStop: string;
  readonly DockerEnv: string;
  readonly PodManEnv: string;
}

/** status.go defaultStatusFormat, rendered (TimeToStop, DockerEnv and PodManEnv are empty here). */
function defaultStatusText(status: ClusterStatus): string {
  return `${status.Name}\ntype: Control Plane\nhost: ${status.Host}\nkubelet: ${status.Kubelet}\napiserver: ${status.APIServer}\nkubeconfig: ${status.Kubeconfig}\n\n`;
}

/**
 * A --format Go template made only of text and `{{.Field}}` actions; anything else (pipelines,
 * conditionals) is refused rather than guessed.
 */
export function renderStatus(format: string | undefined, status: ClusterStatus): string {
  if (format === undefined) return defaultStatusText(status);
  return format.replace(/\{\{(.*?)\}\}/g, (_match, action: string) => {
    const field = /^\s*\.(\w+)\s*$/.exec(action)?.[1];
    if (field === undefined || !(field in status)) {
      throw new ShimError(`status --format: only {{.Field}} of ${Object.keys(status).join(', ')} is carried out here, not {{${action}}}`);
    }
    return String(status[field as keyof ClusterStatus]);
  });
}

/** status.go exitCode: host not running 1, cluster (apiserver or kubelet) 2, kubeconfig 4. */
export function statusExitCode(status: ClusterStatus): number {
  return (status.Host !== 'Running' ? 1 : 0)
    | (status.APIServer !== 'Running' || status.Kubelet !== 'Running' ? 2 : 0)
    | (status.Kubeconfig !== 'Configured' ? 4 : 0);
}

/** printAddonsJSON for the add-ons this cluster can say something true about. */
export function addonsJson(profile: string, enabled: Readonly<Record<string, boolean>>): string {
  const sorted = Object.keys(enabled).sort();
  return `${JSON.stringify(Object.fromEntries(sorted.map((name) => [name, { Profile: profile, Status: enabled[name] ? 'enabled' : 'disabled' }])))}\n`;
}

/**
 * The name containerd (and so the kubelet) gives an image reference: docker's normalisation
 * (github.com/distribution/reference normalize.go): no domain → docker.io, no path → library/,
 * no tag → :latest.
 */
export function normalizeImage(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasDomain ? reference : `docker.io/${slash < 0 ? 'library/' : ''}${reference}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !lastPart.includes('@')) name += ':latest';
  return name;
}

/**
 * `image ls` (format short) from the names `ctr images ls -q` prints: only tagged references are
 * RepoTags in the CRI (image IDs `sha256:…` and digests `name@sha256:…` are not).
 */
export function imageListing(names: readonly string[]): string {
  const tags = [...new Set(names.filter((name) => name !== '' && !name.startsWith('sha256:') && !name.includes('@')))];
  tags.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  return `${tags.join('\n')}\n`;
}

export interface ImageBuild {
  readonly tag: string;
  readonly dockerfile: string;
  readonly context: string;
}

/** `image build -t TAG [-f FILE] CONTEXT`, as setup.sh calls it; the file is relative to the context. */
export function parseImageBuild(args: readonly string[]): ImageBuild {
  let tag: string | undefined;
  let dockerfile = 'Dockerfile';
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (flag: string) => {
      if (arg === flag) {
        if (i + 1 >= args.length) throw new ShimError(`image build: ${flag} needs a value`);
        return args[++i];
      }
      return arg.slice(flag.length + 1);
    };
    if (arg === '-t' || arg === '--tag' || arg.startsWith('--tag=')) tag = value(arg.startsWith('--tag') ? '--tag' : '-t');
    else if (arg === '-f' || arg === '--file' || arg.startsWith('--file=')) dockerfile = value(arg.startsWith('--file') ? '--file' : '-f');
    else if (arg.startsWith('-')) throw new ShimError(`image build: option ${arg} is not carried out here (setup.sh uses -t and -f)`);
    else rest.push(arg);
  }
  if (tag === undefined) throw new ShimError('image build: -t NAME:TAG is required here (setup.sh always names its images)');
  if (rest.length !== 1) throw new ShimError(`image build: one build context expected, got ${rest.length}: ${rest.join(' ')}`);
  return { tag, dockerfile, context: rest[0] };
}

/** The dashboard add-on's stand-in: its image and what it serves. */
export const DASHBOARD = {
  namespace: 'kubernetes-dashboard',
  image: 'localhost/ft-ci/kubernetes-dashboard-stand-in:v1',
  addonLabel: 'kubernetes.io/minikube-addons=dashboard',
  page: 'This is a stand-in for the Kubernetes dashboard add-on, made by the ft_services CI cluster:' +
    ' the dashboard image cannot be fetched or built on the CI machine. It has the add-on\'s objects' +
    ' (namespace, ServiceAccount, Services, Deployments) and answers on the dashboard\'s port.\n',
} as const;

/**
 * The add-on's objects as minikube's deploy/addons/dashboard/*.yaml makes them (names, labels,
 * ports, selectors, the ServiceAccount `create token` needs), with the stand-in image and no RBAC:
 * the stand-in reads nothing from the API.
 */
export function dashboardManifest(): string {
  const labels = (app: string) => ({ 'k8s-app': app, 'kubernetes.io/minikube-addons': 'dashboard', 'addonmanager.kubernetes.io/mode': 'Reconcile', 'ft-services.ci/stand-in': 'true' });
  const namespace = DASHBOARD.namespace;
  const service = (name: string, port: number, targetPort: number) => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: labels(name) },
    spec: { ports: [{ port, targetPort }], selector: { 'k8s-app': name } },
  });
  const deployment = (name: string, port: number) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, labels: labels(name) },
    spec: {
      replicas: 1, selector: { matchLabels: { 'k8s-app': name } },
      template: {
        metadata: { labels: { 'k8s-app': name } },
        spec: {
          serviceAccountName: 'kubernetes-dashboard',
          containers: [{
            name, image: DASHBOARD.image, imagePullPolicy: 'Never',
            args: ['httpd', '-f', '-p', String(port), '-h', '/www'],
            ports: [{ containerPort: port, protocol: 'TCP' }],
            livenessProbe: { httpGet: { path: '/', port }, initialDelaySeconds: 30, timeoutSeconds: 30 },
            readinessProbe: { httpGet: { path: '/', port } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 1001, runAsGroup: 2001 },
          }],
        },
      },
    },
  });
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'kubernetes.io/minikube-addons': 'dashboard', 'addonmanager.kubernetes.io/mode': 'Reconcile' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kubernetes-dashboard', namespace, labels: labels('kubernetes-dashboard') } },
    service('kubernetes-dashboard', 80, 9090),
    service('dashboard-metrics-scraper', 8000, 8000),
    deployment('kubernetes-dashboard', 9090),
    deployment('dashboard-metrics-scraper', 8000),
  ];
  return objects.map((object) => JSON.stringify(object)).join('\n');
}

/** What the shim needs from the machine; `run` is real in the program and scripted in the tests. */
export interface ShimContext {
  readonly run: Runner;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly scripts: string;
  /** Where busybox may be, first found wins (the dashboard stand-in serves with its httpd). */
  readonly busybox: readonly string[];
}

function ok(ran: Ran, what: string): string {
  if (ran.status !== 0) throw new ShimError(`${what} failed (exit status ${ran.status}): ${ran.stderr.trim() || ran.stdout.trim()}`);
  return ran.stdout;
}

function kubectl(context: ShimContext, profile: string, args: readonly string[], input?: string): Ran {
  return context.run('kubectl', ['--context', profile, ...args], { input });
}

/** The one node's name and Ready condition, or undefined when the API server does not answer. */
function nodeState(context: ShimContext, profile: string): { name: string; ready: boolean; ip: string } | undefined {
  const ran = kubectl(context, profile, ['get', 'nodes', '-o', 'json', '--request-timeout=10s']);
  if (ran.status !== 0) return undefined;
  const items = (JSON.parse(ran.stdout) as { items: Array<{ metadata: { name: string }; status: { conditions?: Array<{ type: string; status: string }>; addresses?: Array<{ type: string; address: string }> } }> }).items;
  if (items.length !== 1) throw new ShimError(`this minikube drives a one-node cluster; the API server lists ${items.length} nodes`);
  const [node] = items;
  return {
    name: node.metadata.name,
    ready: node.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    ip: node.status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
  };
}

export function clusterStatus(context: ShimContext, profile: string): ClusterStatus {
  const host = context.run(path.join(context.scripts, 'node'), ['true']).status === 0 ? 'Running' : 'Stopped';
  const configured = context.run('kubectl', ['config', 'get-contexts', profile, '-o', 'name']).status === 0;
  const apiserver = configured && kubectl(context, profile, ['get', '--raw', '/readyz', '--request-timeout=10s']).status === 0;
  const node = apiserver ? nodeState(context, profile) : undefined;
  return {
    Name: profile, Host: host, Kubelet: node?.ready ? 'Running' : 'Stopped', APIServer: apiserver ? 'Running' : 'Stopped',
    Kubeconfig: configured ? 'Configured' : 'Misconfigured', Worker: false, TimeToStop: '', DockerEnv: '', PodManEnv: '',
  };
}

function requireRunning(context: ShimContext, profile: string): { name: string; ip: string } {
  const node = nodeState(context, profile);
  if (!node?.ready) {
    throw new ShimError(`The control-plane node ${profile} host is not running: the CI cluster is started by .ci/cluster/up, not by this minikube`, 85);
  }
  return node;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (index < 0) return undefined;
  return args[index] === flag ? args[index + 1] : args[index].slice(flag.length + 1);
}

function status(context: ShimContext, invocation: Invocation): number {
  const args = invocation.args.slice(1);
  const format = flagValue(args, '--format') ?? flagValue(args, '-f');
  const current = clusterStatus(context, invocation.profile);
  context.out(renderStatus(format, current));
  return statusExitCode(current);
}

/**
 * The cluster is started by `.ci/cluster/up` before setup.sh runs. For a running profile minikube's
 * start reconfigures nothing that matters here and ends with "Done!"; this one checks the node is
 * Ready (or says how to start it) and ignores the sizing flags, which name a VM this cluster has not.
 */
function start(context: ShimContext, invocation: Invocation): number {
  const node = requireRunning(context, invocation.profile);
  const ignored = invocation.args.slice(1).join(' ');
  context.out(`* The CI cluster's node ${node.name} (${node.ip}) is Ready; nothing to start${ignored ? ` (not applied here: ${ignored})` : ''}\n`);
  context.out(`* Done! kubectl is now configured to use "${invocation.profile}" cluster and "default" namespace by default\n`);
  return 0;
}

function ip(context: ShimContext, invocation: Invocation): number {
  context.out(`${requireRunning(context, invocation.profile).ip}\n`);
  return 0;
}

/** The metrics-server add-on: its manifest and the Deployment that says it is on. */
export const METRICS_SERVER = {
  manifest: path.join(CLUSTER_SCRIPTS, 'metrics-server.yaml'),
  namespace: 'kube-system',
  addonLabel: 'kubernetes.io/minikube-addons=metrics-server',
  deployment: 'deployment.apps/metrics-server',
} as const;

/** Whether the add-on's Deployment is there, found by the add-on label minikube gives it. */
function addonDeployed(context: ShimContext, profile: string, addon: { namespace: string; addonLabel: string }, deployment: string): boolean {
  // kubectl takes a name or a selector, not both.
  const ran = kubectl(context, profile, ['-n', addon.namespace, 'get', 'deployments', '-l', addon.addonLabel, '-o', 'name']);
  return ok(ran, `kubectl get the deployments labelled ${addon.addonLabel}`).split('\n').includes(deployment);
}

function defaultStorageClass(context: ShimContext, profile: string): boolean {
  const classes = JSON.parse(ok(kubectl(context, profile, ['get', 'storageclasses', '-o', 'json']), 'kubectl get storageclasses')) as { items: Array<{ metadata: { annotations?: Record<string, string> } }> };
  return classes.items.some((c) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
}

/** Imports a docker-archive tar into the node's containerd, where the kubelet finds its images. */
function importImage(context: ShimContext, tar: string): void {
  ok(context.run(path.join(context.scripts, 'node'), ['ctr', '-n', 'k8s.io', 'images', 'import', tar]), `importing ${tar} into the node's containerd`);
}

function withScratch<T>(work: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-minikube-'));
  try {
    return work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * busybox and the shared libraries it links, copied into a root folder at their own paths (Debian's
 * busybox is dynamic), with the stand-in's page; resolves with busybox's path.
 */
function busyboxRoot(context: ShimContext, root: string): string {
  const busybox = context.busybox.find((file) => fs.existsSync(file));
  if (busybox === undefined) throw new ShimError('busybox not found: install Debian\'s busybox (.ci/install-host-packages); the dashboard stand-in serves with its httpd');
  const libraries = ok(context.run('ldd', [busybox]), `ldd ${busybox}`).split('\n').flatMap((line) => /(\/\S+) \(0x/.exec(line)?.[1] ?? []);
  for (const file of [busybox, ...libraries]) {
    fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(file), path.join(root, file));
  }
  fs.mkdirSync(path.join(root, 'www'));
  fs.writeFileSync(path.join(root, 'www', 'index.html'), DASHBOARD.page);
  return busybox;
}

function enableDashboard(context: ShimContext, profile: string): void {
  withScratch((dir) => {
    const root = path.join(dir, 'root');
    const busybox = busyboxRoot(context, root);
    const tar = path.join(dir, 'dashboard.tar');
    ok(context.run(path.join(context.scripts, 'pack-image'), [DASHBOARD.image, tar, root, '--entrypoint', JSON.stringify([busybox])]), 'pack-image (the dashboard stand-in)');
    importImage(context, tar);
  });
  ok(kubectl(context, profile, ['apply', '-f', '-'], dashboardManifest()), 'kubectl apply (the dashboard stand-in)');
}

/** The add-ons carried out here: whether each is on, and how it is turned on and off. */
const ADDONS: Readonly<Record<string, { enabled: (c: ShimContext, p: string) => boolean; enable: (c: ShimContext, p: string) => string; disable: (c: ShimContext, p: string) => void }>> = {
  dashboard: {
    enabled: (c, p) => addonDeployed(c, p, DASHBOARD, 'deployment.apps/kubernetes-dashboard'),
    enable: (c, p) => {
      enableDashboard(c, p);
      return `a stand-in: ${DASHBOARD.image}; the dashboard image cannot be fetched or built on the CI machine`;
    },
    disable: (c, p) => { ok(kubectl(c, p, ['delete', '--ignore-not-found', '--wait=true', '-f', '-'], dashboardManifest()), 'kubectl delete (the dashboard stand-in)'); },
  },
  'metrics-server': {
    enabled: (c, p) => addonDeployed(c, p, METRICS_SERVER, METRICS_SERVER.deployment),
    enable: (c, p) => {
      ok(kubectl(c, p, ['apply', '-f', METRICS_SERVER.manifest]), 'kubectl apply (the metrics-server add-on)');
      return 'metrics-server built from its Go module, .ci/cluster/metrics-server.yaml';
    },
    disable: (c, p) => { ok(kubectl(c, p, ['delete', '--ignore-not-found', '--wait=true', '-f', METRICS_SERVER.manifest]), 'kubectl delete (the metrics-server add-on)'); },
  },
};

function addons(context: ShimContext, invocation: Invocation): number {
  const [, verb, ...rest] = invocation.args;
  const { profile } = invocation;
  requireRunning(context, profile);
  if (verb === 'list') {
    const output = flagValue(rest, '-o') ?? flagValue(rest, '--output');
    if (output !== 'json') throw new ShimError('addons list: only -o json is carried out here (setup.sh reads that)');
    context.out(addonsJson(profile, {
      ...Object.fromEntries(Object.entries(ADDONS).map(([name, addon]) => [name, addon.enabled(context, profile)])),
      'default-storageclass': defaultStorageClass(context, profile),
    }));
    return 0;
  }
  const addon = rest.length === 1 ? ADDONS[rest[0]] : undefined;
  if ((verb === 'enable' || verb === 'disable') && addon !== undefined) {
    if (verb === 'enable') {
      context.out(`* The '${rest[0]}' addon is enabled (${addon.enable(context, profile)})\n`);
    } else {
      addon.disable(context, profile);
      context.out(`* "The '${rest[0]}' addon is disabled"\n`);
    }
    return 0;
  }
  throw new ShimError(`addons ${[verb, ...rest].join(' ')}: only "addons list -o json" and "addons enable|disable ${Object.keys(ADDONS).join('|')}" are carried out here`);
}

function nodeImages(context: ShimContext): string[] {
  return ok(context.run(path.join(context.scripts, 'node'), ['ctr', '-n', 'k8s.io', 'images', 'ls', '-q']), 'ctr images ls').split('\n');
}

/**
 * `image build`: the images helper's builder follows the Dockerfile on Debian packages and writes a
 * docker-archive tar (`.ci/cluster/build-image TAG DOCKERFILE CONTEXT OUT.tar`), imported into the
 * node's containerd as minikube's build leaves its image in the node's runtime.
 */
function buildImage(context: ShimContext, args: readonly string[]): void {
  const build = parseImageBuild(args);
  const dockerfile = path.resolve(build.context, build.dockerfile);
  if (!fs.existsSync(dockerfile)) throw new ShimError(`image build: ${dockerfile} not found`);
  withScratch((dir) => {
    const tar = path.join(dir, 'image.tar');
    const built = context.run(path.join(context.scripts, 'build-image'), [build.tag, dockerfile, build.context, tar], { inherit: true });
    if (built.status !== 0) throw new ShimError(`build-image ${build.tag} failed (exit status ${built.status}); its output is above`);
    importImage(context, tar);
  });
  context.out(`Successfully tagged ${normalizeImage(build.tag)}\n`);
}

function image(context: ShimContext, invocation: Invocation): number {
  const [, verb, ...rest] = invocation.args;
  requireRunning(context, invocation.profile);
  if ((verb === 'ls' || verb === 'list') && rest.length === 0) {
    context.out(imageListing(nodeImages(context)));
  } else if (verb === 'build') {
    buildImage(context, rest);
  } else if (verb === 'rm' && rest.length > 0 && rest.every((arg) => !arg.startsWith('-'))) {
    // minikube's image rm removes each tag from the node's runtime (machine.RemoveImages).
    ok(context.run(path.join(context.scripts, 'node'), ['ctr', '-n', 'k8s.io', 'images', 'rm', ...rest.map(normalizeImage)]), 'ctr images rm');
  } else {
    throw new ShimError(`image ${[verb, ...rest].join(' ')}: only "image ls", "image build -t TAG -f FILE CONTEXT" and "image rm NAME…" are carried out here`);
  }
  return 0;
}

/** `kubectl -- ARGS`: the cluster's own kubectl, as minikube runs the one it downloaded. */
function kubectlPassThrough(context: ShimContext, invocation: Invocation): number {
  const rest = invocation.args.slice(1);
  const args = rest[0] === '--' ? rest.slice(1) : rest;
  return context.run('kubectl', args, { inherit: true }).status;
}

const COMMANDS: Readonly<Record<string, (context: ShimContext, invocation: Invocation) => number>> = {
  status, start, ip, addons, image, kubectl: kubectlPassThrough,
};

/** Carries out one minikube command line; resolves with its exit status. */
export function minikube(context: ShimContext, argv: readonly string[]): number {
  try {
    const invocation = parseInvocation(argv);
    const command = COMMANDS[invocation.args[0] ?? ''];
    if (command === undefined) {
      throw new ShimError(`"minikube ${argv.join(' ')}" is not carried out by the CI cluster's minikube (.ci/cluster/minikube): ` +
        `it does only what setup.sh uses (${Object.keys(COMMANDS).join(', ')}). Add the command there if setup.sh needs it.`, 64);
    }
    return command(context, invocation);
  } catch (error) {
    if (!(error instanceof ShimError)) throw error;
    context.err(`X ${error.message}\n`);
    return error.exitCode;
  }
}

/** The real runner: captured output, or the child's output passed straight through. */
export const spawnRunner: Runner = (program, args, options = {}) => {
  const spawnOptions: SpawnSyncOptions = { encoding: 'utf8', input: options.input, maxBuffer: 64 * 1024 * 1024 };
  const ran = spawnSync(program, [...args], options.inherit ? { ...spawnOptions, stdio: ['ignore', 'inherit', 'inherit'] } : spawnOptions);
  if (ran.error) return { status: 127, stdout: '', stderr: `${program}: ${ran.error.message}` };
  return { status: ran.status ?? 128, stdout: String(ran.stdout ?? ''), stderr: String(ran.stderr ?? '') };
};

if (require.main === module) {
  process.exitCode = minikube({
    run: spawnRunner, scripts: CLUSTER_SCRIPTS, busybox: ['/bin/busybox', '/usr/bin/busybox'],
    out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text),
  }, process.argv.slice(2));
}
