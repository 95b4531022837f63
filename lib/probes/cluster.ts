/**
 * Probes that need the cluster itself (B6): what Kubernetes reports about the stack, data that must
 * survive a pod's deletion (S10), and containers that must restart when a process dies (S11). The
 * kubectl runner is injected, so the logic is tested without a cluster.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { curlTimeConnect } from './connect';
import { expectThat, probe, ProbeResult } from './probe';

/** Runs `kubectl ARGS…` and resolves with its standard output (rejects when it fails). */
export type Kubectl = (args: readonly string[]) => Promise<string>;

/** How long a pod may take to come back (a first boot of MySQL is slow). */
const RECOVERY_SECONDS = 300;

const selector = (service: string) => `app.kubernetes.io/name=${service}`;

async function podOf(kubectl: Kubectl, namespace: string, service: string): Promise<string> {
  const pod = (await kubectl(['-n', namespace, 'get', 'pods', '-l', selector(service), '--field-selector=status.phase=Running',
    '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
  expectThat(pod !== '', `no running pod of ${service}`);
  return pod;
}

/** Deployment, or DaemonSet for a service that runs on every node. */
export type WorkloadKind = 'deployment' | 'daemonset';

async function waitReady(kubectl: Kubectl, namespace: string, service: string, kind: WorkloadKind): Promise<void> {
  await kubectl(['-n', namespace, 'rollout', 'status', `${kind}/${service}`, `--timeout=${RECOVERY_SECONDS}s`]);
  await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'pod', '-l', selector(service), `--timeout=${RECOVERY_SECONDS}s`]);
}

/** S4 S12: the public Services all got the one address; the databases have none. */
export function probeServiceAddresses(kubectl: Kubectl, namespace: string, address: string,
  expected: Readonly<Record<string, 'LoadBalancer' | 'ClusterIP'>>): Promise<ProbeResult> {
  return probe('S4', `every LoadBalancer Service has ${address}, the databases are ClusterIP only`, async () => {
    const list = JSON.parse(await kubectl(['-n', namespace, 'get', 'services', '-o', 'json'])) as {
      items: Array<{ metadata: { name: string }; spec: { type: string }; status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } }>;
    };
    const seen = Object.fromEntries(list.items.map((service) => [service.metadata.name, {
      type: service.spec.type,
      ips: (service.status?.loadBalancer?.ingress ?? []).map((ingress) => ingress.ip ?? ''),
    }]));
    for (const [name, type] of Object.entries(expected)) {
      expectThat(seen[name] !== undefined, `no Service ${name}`);
      expectThat(seen[name].type === type, `${name} is ${seen[name].type}, expected ${type}`);
      if (type === 'LoadBalancer') expectThat(seen[name].ips.join() === address, `${name} has address ${seen[name].ips.join() || '(pending)'}`);
    }
    return `${Object.keys(expected).filter((name) => expected[name] === 'LoadBalancer').join(', ')} on ${address}`;
  });
}

/** The label kubeadm puts on control-plane nodes, which MetalLB's speaker honours (Kubernetes well-known labels). */
export const EXCLUDE_FROM_LOAD_BALANCERS = 'node.kubernetes.io/exclude-from-external-load-balancers';

/**
 * A `servicel2statuses.metallb.io` object (metallb api/v1beta1/servicel2status_types.go, v0.16.1):
 * the speaker that announces a Service in layer 2 mode writes one, in MetalLB's own namespace, with
 * the announcing node in `status.node` (internal/k8s/controllers/layer2_status_controller.go), and
 * deletes it when it stops announcing.
 */
interface ServiceL2Status {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly status?: { readonly node?: string; readonly serviceName?: string; readonly serviceNamespace?: string };
}

interface Node {
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly status?: { readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string }> };
}

/** The parts of an EndpointSlice (discovery.k8s.io/v1) MetalLB reads. */
interface EndpointSlice {
  readonly metadata: { readonly labels?: Readonly<Record<string, string>> };
  readonly endpoints?: ReadonlyArray<{ readonly conditions?: { readonly ready?: boolean | null; readonly serving?: boolean | null } }>;
}

/** The parts of a Pod that say why it is not ready. */
interface Pod {
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: ReadonlyArray<{ readonly type: string; readonly status: string }>;
    readonly containerStatuses?: ReadonlyArray<{
      readonly restartCount?: number;
      readonly state?: { readonly waiting?: { readonly reason?: string }; readonly terminated?: { readonly reason?: string } };
    }>;
  };
}

/** The namespace and DaemonSet of MetalLB's speaker, as its release manifest names them (setup installs it so). */
const SPEAKER = { namespace: 'metallb-system', daemonSet: 'speaker', selector: 'component=speaker' };

const items = async <T>(kubectl: Kubectl, args: readonly string[]): Promise<T[]> => (JSON.parse(await kubectl([...args, '-o', 'json'])) as { items: T[] }).items;

/** MetalLB v0.16.1 internal/k8s/epslices/endpoint_slices.go EndpointCanServe. */
function endpointCanServe(conditions: { readonly ready?: boolean | null; readonly serving?: boolean | null } = {}): boolean {
  return conditions.ready === undefined || conditions.ready === null || conditions.ready || conditions.serving === true;
}

const isReady = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** `name (CrashLoopBackOff, 6 restarts)`: what `kubectl get pods` would show of a pod that is not ready. */
function podState(pod: Pod): string {
  const container = pod.status?.containerStatuses?.[0];
  const reason = container?.state?.waiting?.reason ?? container?.state?.terminated?.reason ?? pod.status?.phase ?? 'unknown';
  const restarts = container?.restartCount ?? 0;
  return `${pod.metadata.name} (${reason}${restarts > 0 ? `, ${restarts} restart${restarts === 1 ? '' : 's'}` : ''})`;
}

/**
 * Go's flag package reading a boolean flag from the speaker's args (speaker/main.go declares
 * `ignore-exclude-lb` with flag.Bool): `-name` or `--name`, optionally `=value` as strconv.ParseBool
 * reads it; the last occurrence wins.
 */
export function boolFlag(args: readonly string[], name: string): boolean {
  let value = false;
  for (const arg of args) {
    const match = new RegExp(`^--?${name}(?:=(.*))?$`).exec(arg);
    if (match !== null) value = match[1] === undefined || ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(match[1]);
  }
  return value;
}

/**
 * Why the speakers announce none of `silent`, in the order MetalLB v0.16.1 decides
 * (speaker/layer2_controller.go ShouldAnnounce): first whether an endpoint of the Service can serve
 * (activeEndpointExists), then which nodes may announce (speakersForAds: not NetworkUnavailable, and
 * not labelled EXCLUDE_FROM_LOAD_BALANCERS unless the speaker runs with --ignore-exclude-lb), then
 * whether a speaker on such a node is up.
 */
async function whyNotAnnounced(kubectl: Kubectl, namespace: string, silent: readonly string[]): Promise<string> {
  const slices = await items<EndpointSlice>(kubectl, ['-n', namespace, 'get', 'endpointslices']);
  const serving = (service: string) => slices.some((slice) => slice.metadata.labels?.['kubernetes.io/service-name'] === service
    && (slice.endpoints ?? []).some((endpoint) => endpointCanServe(endpoint.conditions)));
  const unserved = silent.filter((service) => !serving(service));
  if (unserved.length > 0) {
    const pods = await items<Pod>(kubectl, ['-n', namespace, 'get', 'pods']);
    const reasons = unserved.map((service) => {
      const own = pods.filter((pod) => pod.metadata.labels?.['app.kubernetes.io/name'] === service);
      return own.length === 0
        ? `${service} has no pod (see kubectl -n ${namespace} describe deployment ${service})`
        : `${service}'s pod${own.length === 1 ? '' : 's'} ${own.map(podState).join(', ')} ${own.length === 1 ? 'is' : 'are'} not ready `
          + `(see kubectl -n ${namespace} describe pod ${own[0].metadata.name} and kubectl -n ${namespace} logs ${own[0].metadata.name} --previous)`;
    });
    return `MetalLB announces a Service only while one of its endpoints is ready, and ${reasons.join('; ')}`;
  }

  const nodes = await items<Node>(kubectl, ['get', 'nodes']);
  let args: readonly string[] | undefined;
  try {
    const daemonSet = JSON.parse(await kubectl(['-n', SPEAKER.namespace, 'get', 'daemonset', SPEAKER.daemonSet, '-o', 'json']));
    args = daemonSet.spec.template.spec.containers.find((c: { name: string }) => c.name === 'speaker')?.args ?? [];
  } catch {
    args = undefined;
  }
  const ignoresLabel = args !== undefined && boolFlag(args, 'ignore-exclude-lb');
  const unavailable = nodes.filter((node) => node.status?.conditions?.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'));
  const excluded = ignoresLabel ? [] : nodes.filter((node) => node.metadata.labels?.[EXCLUDE_FROM_LOAD_BALANCERS] !== undefined);
  const eligible = nodes.filter((node) => !unavailable.includes(node) && !excluded.includes(node));
  const names = (list: readonly Node[]) => list.map((node) => node.metadata.name).join(', ');
  if (eligible.length === 0 && nodes.length > 0) {
    const reasons: string[] = [];
    if (excluded.length > 0) {
      const flag = args === undefined
        ? `the speaker (${SPEAKER.namespace}/${SPEAKER.daemonSet}, which could not be read) is not known to run with --ignore-exclude-lb`
        : `the speaker runs without --ignore-exclude-lb (its args: ${args.join(' ') || 'none'})`;
      reasons.push(`${names(excluded)} carr${excluded.length === 1 ? 'ies' : 'y'} ${EXCLUDE_FROM_LOAD_BALANCERS} (kubeadm labels control-plane nodes so) and ${flag}, `
        + 'so MetalLB 0.14+ announces from no node. Fix: ./setup.sh again, or by hand '
        + `\`kubectl label node ${excluded[0].metadata.name} ${EXCLUDE_FROM_LOAD_BALANCERS}-\` or MetalLB's speaker with --ignore-exclude-lb`);
    }
    if (unavailable.length > 0) {
      reasons.push(`${names(unavailable)} report${unavailable.length === 1 ? 's' : ''} NetworkUnavailable: the CNI is not ready; see kubectl -n kube-system get pods`);
    }
    return reasons.join('; ');
  }

  const speakers = await items<Pod>(kubectl, ['-n', SPEAKER.namespace, 'get', 'pods', '-l', SPEAKER.selector]);
  const onEligible = speakers.filter((pod) => eligible.some((node) => node.metadata.name === pod.spec?.nodeName));
  if (!onEligible.some(isReady)) {
    return `no MetalLB speaker is ready on ${names(eligible)}, the node${eligible.length === 1 ? '' : 's'} that may announce: `
      + `${onEligible.length === 0 ? 'none runs there' : onEligible.map(podState).join(', ')}; `
      + `see kubectl -n ${SPEAKER.namespace} get pods -l ${SPEAKER.selector} and their logs`;
  }
  return `the Services have a ready endpoint and a speaker is ready on ${names(eligible)}, yet none announces: see the speakers' logs `
    + `(kubectl -n ${SPEAKER.namespace} logs -l ${SPEAKER.selector}), the L2Advertisement's node selectors and the Service's events (kubectl describe service)`;
}

/**
 * S4: MetalLB really announces the address of every public Service, not only assigns it. The
 * controller writes the address into the Service's status whether or not any speaker announces it
 * (metallb troubleshooting page, "MetalLB is not advertising my service from my control-plane nodes
 * or from my single node cluster"), so only the speakers' ServiceL2Status objects (MetalLB 0.14+)
 * show that a node answers ARP for it.
 */
export function probeAddressAnnounced(kubectl: Kubectl, namespace: string, address: string, services: readonly string[]): Promise<ProbeResult> {
  return probe('S4', `MetalLB announces ${address} from a node for ${services.join(', ')}`, async () => {
    let listed: string;
    try {
      listed = await kubectl(['get', 'servicel2statuses.metallb.io', '--all-namespaces', '-o', 'json']);
    } catch (error) {
      throw new Error(`no ServiceL2Status could be read (MetalLB older than 0.14 writes none; setup installs v0.16.1): ${error instanceof Error ? error.message : String(error)}`);
    }
    const statuses = (JSON.parse(listed) as { items: ServiceL2Status[] }).items;
    const announcing = new Map<string, string>();
    for (const { status } of statuses) {
      if (status?.serviceNamespace === namespace && status.serviceName !== undefined && status.node) announcing.set(status.serviceName, status.node);
    }
    const silent = services.filter((service) => !announcing.has(service));
    if (silent.length > 0) {
      throw new Error(`assigned but not announced: no node announces ${silent.join(', ')}, so ${address} does not answer for them; ${await whyNotAnnounced(kubectl, namespace, silent)}`);
    }
    const nodes = [...new Set(services.map((service) => announcing.get(service)))];
    return `${services.join(', ')} announced from ${nodes.join(', ')}`;
  });
}

/** S2: every container runs the image named after its service, and runs it in a pod of its own. */
export function probeImagesNamedAfterServices(kubectl: Kubectl, namespace: string, services: readonly string[]): Promise<ProbeResult> {
  return probe('S2', 'every service runs in its own container, from the image named after it', async () => {
    const pods = JSON.parse(await kubectl(['-n', namespace, 'get', 'pods', '-o', 'json'])) as {
      items: Array<{ metadata: { labels?: Record<string, string> }; spec: { containers: Array<{ name: string; image: string }> } }>;
    };
    const found: string[] = [];
    for (const service of services) {
      const own = pods.items.filter((pod) => pod.metadata.labels?.['app.kubernetes.io/name'] === service);
      expectThat(own.length > 0, `no pod of ${service}`);
      for (const pod of own) {
        expectThat(pod.spec.containers.length === 1, `a pod of ${service} has ${pod.spec.containers.length} containers`);
        const image = pod.spec.containers[0].image;
        expectThat(new RegExp(`(^|/)${service}:[^:/]+$`).test(image), `${service} runs ${image}`);
        found.push(image);
      }
    }
    return found.join(', ');
  });
}

/** A way to write a marker into a database from inside its container, and to read it back. */
export interface DatabaseMarker {
  /** Command run in the container to store `marker`. */
  readonly write: (marker: string) => readonly string[];
  /** Command run in the container that prints `marker` when it is stored. */
  readonly read: (marker: string) => readonly string[];
}

/** S10: a marker written before the database's pod is deleted is still there in the new pod. */
export function probeDataSurvivesPodDeletion(kubectl: Kubectl, namespace: string, service: string, database: DatabaseMarker,
  marker = `ft-check-${Date.now()}`): Promise<ProbeResult> {
  return probe('S10', `${service} keeps its data when its pod is deleted`, async () => {
    const before = await podOf(kubectl, namespace, service);
    await kubectl(['-n', namespace, 'exec', before, '--', ...database.write(marker)]);
    await kubectl(['-n', namespace, 'delete', 'pod', before, '--wait=true']);
    await waitReady(kubectl, namespace, service, 'deployment');
    const after = await podOf(kubectl, namespace, service);
    expectThat(after !== before, `pod ${before} was not replaced`);
    const read = await kubectl(['-n', namespace, 'exec', after, '--', ...database.read(marker)]);
    expectThat(read.includes(marker), `after the new pod ${after} started, the marker is gone (read: ${read.trim().slice(0, 200)})`);
    return `marker written in ${before}, read back in ${after}`;
  });
}

async function restartCount(kubectl: Kubectl, namespace: string, pod: string): Promise<number> {
  return Number((await kubectl(['-n', namespace, 'get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).trim());
}

/**
 * S11: killing `processName` inside the service's container (as an evaluator does with pkill)
 * restarts the container: its RESTARTS count goes up and it becomes ready again.
 */
export function probeRestartWhenProcessDies(kubectl: Kubectl, namespace: string, service: string, processName: string, kind: WorkloadKind,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms))): Promise<ProbeResult> {
  return probe('S11', `killing ${processName} restarts the ${service} container`, async () => {
    const pod = await podOf(kubectl, namespace, service);
    const before = await restartCount(kubectl, namespace, pod);
    // TERM, as `pkill` sends: a daemon that is PID 1 ignores SIGKILL from inside its own container.
    // The exec may be cut off by the container's own death: that is the expected outcome.
    await kubectl(['-n', namespace, 'exec', pod, '--', 'pkill', '-x', processName]).catch(() => '');
    let after = before;
    for (let waited = 0; after === before && waited < RECOVERY_SECONDS; waited += 2) {
      await pause(2000);
      after = await restartCount(kubectl, namespace, pod);
    }
    expectThat(after > before, `RESTARTS stayed at ${before} for ${RECOVERY_SECONDS}s after killing ${processName}`);
    await waitReady(kubectl, namespace, service, kind);
    return `RESTARTS ${before} -> ${after}, ready again`;
  });
}

/** A connection the stack's model declares (B8): `clients` open `service:port`. */
export interface AllowedClients {
  readonly service: string;
  readonly port: number;
  readonly clients: readonly string[];
  /** Whether `service` admits these clients alone (its `<service>-allow-clients` policy). */
  readonly clientsOnly: boolean;
}

/** Connections no egress rule of `client` allows, to servers that admit every pod (B8). */
export interface EgressRefusals {
  readonly client: string;
  readonly targets: ReadonlyArray<{ readonly host: string; readonly port: number }>;
}

/** Runs in a client's container and exits 0 when it opened `host:port` (each with a tool its image has). */
export type ConnectCommand = (host: string, port: number) => readonly string[];

/** The outsider's curl line (curlTimeConnect), which exits 0 either way, so kubectl passes the figure on. */
export function outsiderConnect(host: string, port: number): string[] {
  return ['sh', '-c', `${curlTimeConnect(host, port)}; true`];
}

/** The throwaway pod the B8 and B10 checks try connections from, and the image it runs. */
export interface OutsiderPod {
  /** A Deployment of the stack whose image holds curl (the cluster already holds it). */
  readonly image: string;
  readonly name: string;
}

/** A pod of sleep in one of the stack's images, for commands run in it with `kubectl exec`. */
export interface SleeperPodOptions {
  readonly name: string;
  /** One of the stack's images, which the node has: nothing is pulled. */
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** How long it sleeps: the longest it can live if nobody deletes it. */
  readonly lifeSeconds: number;
  readonly resources: { readonly requests: Readonly<Record<string, string>>; readonly limits: Readonly<Record<string, string>> };
  /** Its owner, for the garbage collector (and so that no controller adopts it). @default none */
  readonly ownerReferences?: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/**
 * The manifest of a pod that only sleeps, never restarts, has no service account token and meets
 * the namespace's Pod Security Standard (baseline): check's outsider and the cluster tests' flood.
 */
export function sleeperPod(options: SleeperPodOptions): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: options.name, labels: options.labels, ...(options.ownerReferences ? { ownerReferences: options.ownerReferences } : {}) },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'sleeper',
        image: options.image,
        imagePullPolicy: 'Never',
        command: ['sleep', String(options.lifeSeconds)],
        securityContext: { allowPrivilegeEscalation: false, privileged: false },
        resources: options.resources,
      }],
    },
  };
}

const newOutsider = (): OutsiderPod => ({ image: 'nginx', name: `ft-check-outsider-${Date.now()}` });

/**
 * Runs `body` with a throwaway pod from one of the stack's own images (nothing is pulled), labelled
 * as no client of anything, which meets the namespace's Pod Security Standard (baseline) and is
 * deleted afterwards. `connected(host, port)` tells whether that pod opened a TCP connection.
 *
 * The namespace denies egress by default (B8), which would refuse the outsider's every connection
 * and so prove nothing about the servers' ingress: a NetworkPolicy named after the pod lets it open
 * anything while it lives, and goes with it.
 */
async function withOutsider<T>(kubectl: Kubectl, namespace: string, outsider: OutsiderPod,
  body: (connected: (host: string, port: number) => Promise<boolean>) => Promise<T>): Promise<T> {
  const image = (await kubectl(['-n', namespace, 'get', 'deployment', outsider.image, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).trim();
  expectThat(image !== '', `no image of ${outsider.image} to start the outsider pod from`);
  const labels = { 'app.kubernetes.io/name': 'ft-check-outsider', 'app.kubernetes.io/part-of': 'ft-services-check' };
  const pod = sleeperPod({
    name: outsider.name,
    image,
    labels: { ...labels, 'ft-check-outsider': outsider.name },
    lifeSeconds: 600,
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
  });
  const openEgress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: outsider.name, labels },
    spec: { podSelector: { matchLabels: { 'ft-check-outsider': outsider.name } }, policyTypes: ['Egress'], egress: [{}] },
  };
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-check-'));
  const policyFile = path.join(folder, 'outsider-egress.json');
  fs.writeFileSync(policyFile, JSON.stringify(openEgress));
  try {
    await kubectl(['-n', namespace, 'apply', '-f', policyFile]);
    await kubectl(['-n', namespace, 'run', outsider.name, `--image=${image}`, '--restart=Never', `--overrides=${JSON.stringify(pod)}`]);
    await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', `pod/${outsider.name}`, `--timeout=${RECOVERY_SECONDS}s`]);
    return await body(async (host, port) => Number((await kubectl(['-n', namespace, 'exec', outsider.name, '--', ...outsiderConnect(host, port)])).trim()) > 0);
  } finally {
    await kubectl(['-n', namespace, 'delete', 'pod', outsider.name, '--ignore-not-found', '--wait=false']).catch(() => '');
    await kubectl(['-n', namespace, 'delete', 'networkpolicy', outsider.name, '--ignore-not-found']).catch(() => '');
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

const NOT_ENFORCED = 'The cluster\'s network plugin ignores NetworkPolicies (minikube\'s default bridge CNI does); recreate the cluster ' +
  'with one that enforces them, e.g. minikube start --cni=calico';

const address = ({ host, port }: { readonly host: string; readonly port: number }) => `${host}:${port}`;

/**
 * B8: the NetworkPolicies are enforced, both ways. The outsider pod (withOutsider) must fail to open
 * each `clientsOnly` service's port, and must open each server of `refusals` (so only egress can
 * stop a client there); every declared client opens its server from its own pod, by name (so
 * through DNS); each client of `refusals` fails to open every server listed for it.
 */
export function probeNetworkPoliciesEnforced(kubectl: Kubectl, namespace: string, allowed: readonly AllowedClients[],
  connect: Readonly<Record<string, ConnectCommand>>, refusals: readonly EgressRefusals[], outsider = newOutsider()): Promise<ProbeResult> {
  const fenced = allowed.filter((policy) => policy.clientsOnly);
  const targets = fenced.map(({ service, port }) => `${service}:${port}`).join(' and ');
  return probe('B8', `a pod that is no client cannot open ${targets}; the declared clients open their servers and nothing else`, async () => {
    const open = [...new Set(refusals.flatMap(({ targets: to }) => to.map(address)))];
    const { reached, closed } = await withOutsider(kubectl, namespace, outsider, async (connected) => {
      const result = { reached: [] as string[], closed: [] as string[] };
      for (const { service, port } of fenced) if (await connected(service, port)) result.reached.push(`${service}:${port}`);
      for (const target of open) {
        const [host, port] = target.split(':');
        if (!(await connected(host, Number(port)))) result.closed.push(target);
      }
      return result;
    });
    expectThat(reached.length === 0, `not enforced: a pod that is no client opened ${reached.join(' and ')}. ${NOT_ENFORCED}`);
    expectThat(closed.length === 0, `${closed.join(' and ')} refused the outsider pod too, so a client's refusal there proves nothing about egress`);

    const opened: string[] = [];
    const from = async (client: string) => ({ pod: await podOf(kubectl, namespace, client), command: connect[client] });
    for (const { service, port, clients } of allowed) {
      for (const client of clients) {
        const { pod, command } = await from(client);
        expectThat(command !== undefined, `no way to test ${client} as a client of ${service}`);
        await kubectl(['-n', namespace, 'exec', pod, '--', ...command(service, port)]).catch((error: Error) => {
          throw new Error(`${client} is a declared client of ${service}:${port} but cannot open it: ${error.message}`);
        });
        opened.push(`${client} -> ${service}:${port}`);
      }
    }
    const refused: string[] = [];
    for (const { client, targets: to } of refusals) {
      const { pod, command } = await from(client);
      for (const target of to) {
        const escaped = await kubectl(['-n', namespace, 'exec', pod, '--', ...command(target.host, target.port)]).then(() => true, () => false);
        expectThat(!escaped, `egress not enforced: ${client} opened ${address(target)}, which no egress rule of ${client} allows. ${NOT_ENFORCED}`);
      }
      refused.push(`${client} -/-> ${to.map(address).join(', ')}`);
    }
    return `refused to the outsider pod; ${opened.join(', ')}; egress refused: ${refused.join('; ')}`;
  });
}

/**
 * B10 S4: every pod of `metrics`' services serves its own metrics on `port` to telegraf and to no
 * other pod. Pods are addressed by their own IP, as telegraf's pod discovery does (no Service
 * carries the port): the outsider pod (withOutsider) must fail to open any of them, and a pod of
 * `reader` (telegraf, whose image has busybox wget) must read from each one a page that names
 * the metric `metrics` gives for its service (what the check's output calls its figures).
 */
export function probePodMetricsFenced(kubectl: Kubectl, namespace: string, metrics: Readonly<Record<string, string>>, port: number, path: string,
  reader = 'telegraf', outsider = newOutsider()): Promise<ProbeResult> {
  const services = Object.keys(metrics);
  return probe('B10', `each pod of ${services.join(', ')} serves its own figures on ${port} to ${reader} and to no other pod`, async () => {
    const pods: Array<{ service: string; ip: string }> = [];
    for (const service of services) {
      const ips = (await kubectl(['-n', namespace, 'get', 'pods', '-l', selector(service), '--field-selector=status.phase=Running',
        '-o', 'jsonpath={.items[*].status.podIP}'])).trim().split(/\s+/).filter(Boolean);
      expectThat(ips.length > 0, `no running pod of ${service}`);
      pods.push(...ips.map((ip) => ({ service, ip })));
    }
    const reached = await withOutsider(kubectl, namespace, outsider, async (connected) => {
      const opened: string[] = [];
      for (const { service, ip } of pods) if (await connected(ip, port)) opened.push(`${service} (${ip}:${port})`);
      return opened;
    });
    expectThat(reached.length === 0, `not enforced: a pod that is no client opened the metrics port of ${reached.join(' and ')}. ${NOT_ENFORCED}`);

    const from = await podOf(kubectl, namespace, reader);
    for (const { service, ip } of pods) {
      const page = await kubectl(['-n', namespace, 'exec', from, '--', 'timeout', '10', 'wget', '-q', '-O', '-', `http://${ip}:${port}${path}`]).catch((error: Error) => {
        throw new Error(`${reader} cannot read ${service}'s figures at ${ip}:${port}${path}: ${error.message}`);
      });
      expectThat(new RegExp(`^${metrics[service]} `, 'm').test(page), `${service}'s figures at ${ip}:${port}${path} have no ${metrics[service]}`);
    }
    return `refused to the outsider pod; ${reader} read ${pods.map(({ service, ip }) => `${service} (${ip})`).join(', ')}`;
  });
}
