/**
 * A stand-in for what telegraf's Kubernetes inputs read on a cluster, which cannot run here: one
 * node's kubelet (`GET /stats/summary`, `GET /pods`) and the API server's namespaced pod list (what
 * `kube_inventory` asks for), over HTTPS with bearer-token authentication. Only the documents'
 * shapes are the platform's; the figures are made up and grow with time like real counters.
 *
 * Shapes, as the real programs define and read them:
 * - `/stats/summary`: the kubelet's Summary API, `Summary{node: NodeStats, pods: []PodStats}` with
 *   `ContainerStats{name, startTime, cpu{time, usageNanoCores, usageCoreNanoSeconds}, memory{…},
 *   rootfs, logs}`, `NetworkStats{time, name, rxBytes, rxErrors, txBytes, txErrors, interfaces}` and
 *   `volume: []VolumeStats` (kubernetes `staging/src/k8s.io/kubelet/pkg/apis/stats/v1alpha1/types.go`),
 *   decoded by telegraf v1.34.4 `plugins/inputs/kubernetes/kubernetes_metrics.go`.
 * - `/pods`: a core/v1 `PodList` (the kubelet's `pkg/kubelet/server/server.go` serves the pods it
 *   runs), of which telegraf reads `metadata.{name,namespace,labels}` and `spec.containers[].{name,image}`
 *   (`plugins/inputs/kubernetes/kubernetes_pods.go`).
 * - `GET /api/v1/namespaces/<ns>/pods?fieldSelector=spec.nodeName=<node>`: the list client-go sends
 *   for kube_inventory (`plugins/inputs/kube_inventory/client.go` getPods); `pod.go` skips pods without
 *   `metadata.creationTimestamp` and reads `status.containerStatuses[].{restartCount,state,ready}`.
 */
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';

/** A pod as the kubelet and the API server know it. */
export interface StandInPod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly containers: readonly { readonly name: string; readonly image: string; readonly restarts: number; readonly cpuNanoCores: number }[];
  /** The pod's annotations (the chart's pod template), e.g. telegraf's `prometheus.io/*`. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Every pod's IP: the host tests' servers listen on loopback. */
const POD_IP = '127.0.0.1';

/** One request the stand-in answered: what telegraf asked for, and with which token. */
export interface StandInRequest {
  readonly server: 'kubelet' | 'apiserver';
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly token: string;
  readonly status: number;
}

export interface ClusterStandIn {
  /** The kubelet of `node` (telegraf's `inputs.kubernetes` url). */
  readonly kubeletUrl: string;
  /** The API server (kube_inventory's url). */
  readonly apiServerUrl: string;
  readonly requests: readonly StandInRequest[];
  close(): Promise<void>;
}

export interface ClusterStandInOptions {
  /** The node whose kubelet this is. */
  readonly node: string;
  /** Every pod of the cluster; the kubelet reports those on `node`, the API server all of them. */
  readonly pods: readonly StandInPod[];
  /** The service-account token both accept (anything else is 401, as with webhook authentication). */
  readonly token: string;
  readonly tls: { readonly cert: string; readonly key: string };
  /**
   * Where the kubelet listens: telegraf's `inputs.prometheus` always asks `https://<node_ip>:10250`
   * (kubernetes.go cAdvisor), so the test gives it a loopback address of its own on that port.
   */
  readonly kubeletAddress: string;
}

const started = Date.now();
const iso = (ms: number): string => new Date(ms).toISOString();

function containerStats(container: StandInPod['containers'][number], now: number): object {
  const seconds = (now - started) / 1000;
  const memory = 60e6 + container.cpuNanoCores;
  return {
    name: container.name,
    startTime: iso(started),
    cpu: { time: iso(now), usageNanoCores: container.cpuNanoCores, usageCoreNanoSeconds: Math.round(container.cpuNanoCores * seconds) },
    memory: { time: iso(now), usageBytes: memory + 20e6, workingSetBytes: memory, rssBytes: memory - 10e6, pageFaults: 1000, majorPageFaults: 0 },
    rootfs: { time: iso(now), availableBytes: 9e9, capacityBytes: 2e10, usedBytes: 1e6, inodesFree: 1e6, inodes: 2e6, inodesUsed: 100 },
    logs: { time: iso(now), availableBytes: 9e9, capacityBytes: 2e10, usedBytes: 2e4, inodesFree: 1e6, inodes: 2e6, inodesUsed: 1 },
  };
}

/** A pod's network counters: cumulative since the pod started, so rates are positive. */
function networkStats(now: number): object {
  const seconds = Math.round((now - started) / 1000);
  const eth0 = { name: 'eth0', rxBytes: 1e6 + seconds * 2000, rxErrors: 0, txBytes: 5e5 + seconds * 1000, txErrors: 0 };
  return { time: iso(now), ...eth0, interfaces: [eth0] };
}

/** The kubelet's Summary for `node` (types.go `Summary`). */
export function summary(node: string, pods: readonly StandInPod[], now = Date.now()): object {
  const local = pods.filter((pod) => pod.node === node);
  return {
    node: {
      nodeName: node,
      systemContainers: [containerStats({ name: 'kubelet', image: '', restarts: 0, cpuNanoCores: 50e6 }, now)],
      startTime: iso(started),
      cpu: { time: iso(now), usageNanoCores: 900e6, usageCoreNanoSeconds: 9e12 },
      memory: { time: iso(now), availableBytes: 2e9, usageBytes: 3e9, workingSetBytes: 1.5e9, rssBytes: 1e9, pageFaults: 1e5, majorPageFaults: 10 },
      network: { time: iso(now), name: 'eth0', rxBytes: 1e9, rxErrors: 0, txBytes: 5e8, txErrors: 0 },
      fs: { time: iso(now), availableBytes: 9e9, capacityBytes: 2e10, usedBytes: 1e10 },
      runtime: { imageFs: { time: iso(now), availableBytes: 9e9, capacityBytes: 2e10, usedBytes: 3e9 } },
    },
    pods: local.map((pod) => ({
      podRef: { name: pod.name, namespace: pod.namespace, uid: `uid-${pod.name}` },
      startTime: iso(started),
      containers: pod.containers.map((container) => containerStats(container, now)),
      network: networkStats(now),
      volume: [{ time: iso(now), name: 'kube-api-access', availableBytes: 1e9, capacityBytes: 1e9, usedBytes: 4096 }],
    })),
  };
}

/** A core/v1 Pod as the kubelet and the API server serialize it (the fields telegraf reads). */
function podObject(pod: StandInPod): object {
  return {
    metadata: {
      name: pod.name, namespace: pod.namespace, uid: `uid-${pod.name}`, creationTimestamp: iso(started),
      labels: { 'app.kubernetes.io/name': pod.containers[0].name }, ...(pod.annotations ? { annotations: pod.annotations } : {}),
    },
    spec: { nodeName: pod.node, containers: pod.containers.map(({ name, image }) => ({ name, image })) },
    status: {
      phase: 'Running',
      podIP: POD_IP,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: pod.containers.map((container) => ({
        name: container.name, image: container.image, ready: true, restartCount: container.restarts,
        state: { running: { startedAt: iso(started) } },
      })),
    },
  };
}

const podList = (pods: readonly StandInPod[]): object => ({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods.map(podObject) });

/** Starts both HTTPS servers on 127.0.0.1 (free ports). */
export async function startClusterStandIn(options: ClusterStandInOptions): Promise<ClusterStandIn> {
  const requests: StandInRequest[] = [];
  const tls = { cert: fs.readFileSync(options.tls.cert), key: fs.readFileSync(options.tls.key) };
  const serve = (server: StandInRequest['server'], route: (path: string, query: Record<string, string>) => object | undefined) => https.createServer(tls, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const query = Object.fromEntries(url.searchParams);
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const body = token === options.token ? route(url.pathname, query) : undefined;
    const status = token !== options.token ? 401 : body === undefined ? 404 : 200;
    requests.push({ server, path: url.pathname, query, token, status });
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status }));
  });
  const kubelet = serve('kubelet', (path) => {
    if (path === '/stats/summary') return summary(options.node, options.pods);
    if (path === '/pods') return podList(options.pods.filter((pod) => pod.node === options.node));
    return undefined;
  });
  const apiServer = serve('apiserver', (path, query) => {
    const namespaced = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
    if (!namespaced) return undefined;
    // client-go sends the field selector as `spec.nodeName=<node>` (kube_inventory client.go).
    const selector = /^spec\.nodeName=(.+)$/.exec(query.fieldSelector ?? '');
    return podList(options.pods.filter((pod) => pod.namespace === namespaced[1] && (!selector || pod.node === selector[1])));
  });
  const listen = (server: https.Server, host: string, port: number): Promise<number> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
  const kubeletPort = await listen(kubelet, options.kubeletAddress, 10250);
  const apiPort = await listen(apiServer, '127.0.0.1', 0);
  return {
    kubeletUrl: `https://${options.kubeletAddress}:${kubeletPort}`,
    apiServerUrl: `https://127.0.0.1:${apiPort}`,
    requests,
    close: async () => {
      for (const server of [kubelet, apiServer]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}
