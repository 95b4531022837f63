/**
 * The telegraf configuration of the DaemonSet (S9, K7): what is collected, how it is filtered to
 * this stack, and where it is written. Pure data; the chart puts `telegrafConfig(...)` into the
 * ConfigMap mounted at `/etc/telegraf/telegraf.conf` (srcs/README.md).
 *
 * Where the numbers come from, and why:
 * - `inputs.cpu`/`inputs.mem` inside a container read that container's /proc, whose /proc/stat and
 *   /proc/meminfo are the NODE's (the kernel does not namespace them; proc(5)), so per-service
 *   dashboards built on them all show the same curve.
 * - `inputs.docker` needs the docker runtime's socket (plugins/inputs/docker/README.md; minikube
 *   may run containerd or CRI-O) and root access to it.
 * - The kubelet's Summary API (`inputs.kubernetes`, `GET https://<node>:10250/stats/summary`) is
 *   runtime-agnostic and reports every container of the node by namespace/pod/container: the
 *   per-container CPU, memory and pod network we need. It does not report restarts.
 * - `inputs.kube_inventory` reads pod status from the API server: `restarts_total` per container.
 *   On its own it gives state, not usage, so it complements the kubelet instead of replacing it.
 *
 * Measurement, field and tag names below are telegraf 1.34's (Alpine 3.22 ships 1.34.4):
 * - inputs.kubernetes (plugins/inputs/kubernetes/README.md, kubernetes.go `buildPodMetrics`):
 *   `kubernetes_pod_container` tags `container_name, namespace, node_name, pod_name`, integer
 *   fields `cpu_usage_nanocores, cpu_usage_core_nanoseconds, memory_usage_bytes,
 *   memory_working_set_bytes, memory_rss_bytes, …`; `kubernetes_pod_network` tags
 *   `namespace, node_name, pod_name`, fields `rx_bytes, rx_errors, tx_bytes, tx_errors`. The same
 *   input also emits `kubernetes_node`, `kubernetes_system_container` (no namespace tag) and
 *   `kubernetes_pod_volume`, which the filters below drop. It calls the kubelet's `/stats/summary`
 *   AND `/pods` (`gatherPodInfo`); see TELEGRAF_RBAC_RULES for what the kubelet asks of each.
 * - inputs.kube_inventory (plugins/inputs/kube_inventory/README.md, pod.go): `kubernetes_pod_container`
 *   tags `container_name, namespace, node_name, pod_name, phase, state, readiness, node_selector_*`,
 *   fields `restarts_total, state_code, state_reason, phase_reason, resource_*`. It lists pods of
 *   `namespace` only (a namespaced `list pods`), and with `node_name` only those the scheduler put
 *   on that node (client.go `getPods`: field selector `spec.nodeName=<node_name>`).
 * - inputs.internal (plugins/inputs/internal/README.md): `internal_agent` fields
 *   `metrics_gathered, metrics_written, metrics_dropped, gather_errors, gather_timeouts`;
 *   `internal_gather` per input (tag `input`: `metrics_gathered, gather_time_ns, gather_timeouts,
 *   errors`) and `internal_write` per output (tag `output`: `metrics_written, metrics_dropped,
 *   buffer_size, errors, …`), registered in models/running_input.go and running_output.go.
 *
 * In a DaemonSet every node's telegraf would run kube_inventory over every pod of the namespace, so
 * each pod's status would be fetched and written once per node (B7): `node_name = "${NODE_NAME}"`
 * (the downward API's spec.nodeName) makes each one report the pods of its own node, the same
 * split the kubelet's `/stats/summary` has. kube_inventory stays on the API server (not its
 * `url_kubelet` mode) because restart counts are the API server's pod status.
 */
import { POD_METRICS_MEASUREMENT } from './pod-metrics';
import { renderToml, TomlTable } from './toml';

/** Where the chart mounts the config, and the ConfigMap key that holds it. */
export const TELEGRAF_CONFIG_PATH = '/etc/telegraf/telegraf.conf';
export const TELEGRAF_CONFIG_FILE = 'telegraf.conf';
/** `outputs.health` listens here (the chart's liveness/readiness probes: HTTP GET / on it). */
export const TELEGRAF_HEALTH_PORT = 8080;

/**
 * Environment variables the config reads (telegraf substitutes `${NAME}` when it loads the file),
 * as set by the chart (srcs/README.md): no value of them, least of all the password, is in the ConfigMap.
 */
export const TELEGRAF_ENV = {
  influxdbUrl: 'INFLUXDB_URL',
  database: 'INFLUXDB_DB',
  writeUser: 'INFLUXDB_WRITE_USER',
  writePassword: 'INFLUXDB_WRITE_PASSWORD',
  hostIp: 'HOST_IP',
  nodeName: 'NODE_NAME',
} as const;

const env = (name: string): string => `\${${name}}`;

/** The service-account files every pod gets (the kubelet and the API server accept its token). */
const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface TelegrafOptions {
  /** The stack's namespace: the only one whose containers are written. */
  readonly namespace: string;
  /** Collection and flush interval. @default '10s' */
  readonly interval?: string;
  /** The names of the metrics the pods serve themselves (pod-metrics.ts): the only fields `inputs.prometheus` lets through. */
  readonly podMetrics: readonly string[];
}

/** The tags every series written by this config carries, whatever its input. */
export const SERIES_TAGS = { namespace: 'namespace', pod: 'pod_name', container: 'container_name', node: 'node_name', service: 'service' } as const;

/** Measurements and fields the dashboards read; the inputs below let exactly these through. */
export const METRICS = {
  container: { measurement: 'kubernetes_pod_container', cpu: 'cpu_usage_nanocores', memory: 'memory_working_set_bytes', restarts: 'restarts_total' },
  network: { measurement: 'kubernetes_pod_network', rx: 'rx_bytes', tx: 'tx_bytes', rxErrors: 'rx_errors', txErrors: 'tx_errors' },
  telegrafAgent: { measurement: 'internal_agent', gathered: 'metrics_gathered', written: 'metrics_written', dropped: 'metrics_dropped', errors: 'gather_errors' },
  telegrafInput: { measurement: 'internal_gather', tag: 'input', gathered: 'metrics_gathered', errors: 'errors' },
  telegrafOutput: { measurement: 'internal_write', tag: 'output', written: 'metrics_written', dropped: 'metrics_dropped', errors: 'errors' },
} as const;

/** The tags of the per-container series (both Kubernetes inputs), after `taginclude`. */
const CONTAINER_TAGS = [SERIES_TAGS.namespace, SERIES_TAGS.pod, SERIES_TAGS.container, SERIES_TAGS.node];

/** One `[[inputs.*]]` entry: the plugin's name and its table. */
export interface TelegrafInput {
  readonly plugin: string;
  readonly settings: TomlTable & {
    readonly namepass: readonly string[];
    readonly fieldinclude: readonly string[];
    readonly taginclude: readonly string[];
    readonly tags?: Readonly<Record<string, string>>;
  };
}

/** The API server's in-cluster name: the `kubernetes` Service in `default`, on port 443. */
export const KUBERNETES_API = { host: 'kubernetes.default.svc', port: 443 } as const;

/** The kubelet's authenticated port, on every node's own address (its `--port` default). */
export const KUBELET_PORT = 10250;

/** The inputs of the DaemonSet's telegraf, with their filters. */
export function telegrafInputs(options: TelegrafOptions): readonly TelegrafInput[] {
  const { container, network, telegrafAgent, telegrafInput, telegrafOutput } = METRICS;
  const ownTags = (service: string): Record<string, string> => ({ [SERIES_TAGS.namespace]: options.namespace, [SERIES_TAGS.service]: service });
  return [
    {
      plugin: 'kubernetes',
      settings: {
        // This node's kubelet (HOST_IP from the downward API: status.hostIP).
        url: `https://${env(TELEGRAF_ENV.hostIp)}:${KUBELET_PORT}`,
        bearer_token: `${SERVICE_ACCOUNT}/token`,
        // The kubelet serves a self-signed certificate on minikube (and on most kubeadm clusters).
        insecure_skip_verify: true,
        namepass: [container.measurement, network.measurement],
        fieldinclude: [container.cpu, container.memory, network.rx, network.tx, network.rxErrors, network.txErrors],
        taginclude: CONTAINER_TAGS,
        // Every other namespace's pods, and the node/system-container series (no namespace tag).
        tagpass: { [SERIES_TAGS.namespace]: [options.namespace] },
      },
    },
    {
      plugin: 'kube_inventory',
      settings: {
        url: `https://${KUBERNETES_API.host}`,
        bearer_token: `${SERVICE_ACCOUNT}/token`,
        tls_ca: `${SERVICE_ACCOUNT}/ca.crt`,
        namespace: options.namespace,
        node_name: env(TELEGRAF_ENV.nodeName),
        resource_include: ['pods'],
        namepass: [container.measurement],
        fieldinclude: [container.restarts],
        // `state`/`phase`/`readiness` tags would split a container's series at every state change.
        taginclude: CONTAINER_TAGS,
      },
    },
    {
      // The pods of this node that serve their own metrics (pod-metrics.ts), once each.
      plugin: 'prometheus',
      settings: {
        monitor_kubernetes_pods: true,
        pod_scrape_scope: 'node',
        node_ip: env(TELEGRAF_ENV.hostIp),
        monitor_kubernetes_pods_namespace: options.namespace,
        // How often the kubelet's pod list is read again (a new pod is scraped after at most this).
        pod_scrape_interval: 30,
        // One `prometheus` measurement, a field per metric name.
        metric_version: 2,
        response_timeout: '5s',
        namepass: [POD_METRICS_MEASUREMENT],
        fieldinclude: [...new Set(options.podMetrics)],
        taginclude: [SERIES_TAGS.namespace, SERIES_TAGS.pod],
      },
    },
    {
      plugin: 'internal',
      settings: {
        collect_memstats: false,
        namepass: [telegrafAgent.measurement, telegrafInput.measurement, telegrafOutput.measurement],
        fieldinclude: [...new Set([
          telegrafAgent.gathered, telegrafAgent.written, telegrafAgent.dropped, telegrafAgent.errors,
          telegrafInput.gathered, telegrafInput.errors, telegrafOutput.written, telegrafOutput.dropped, telegrafOutput.errors,
        ])],
        taginclude: [SERIES_TAGS.namespace, SERIES_TAGS.service, SERIES_TAGS.node, telegrafInput.tag, telegrafOutput.tag],
        tags: { ...ownTags('telegraf'), [SERIES_TAGS.node]: env(TELEGRAF_ENV.nodeName) },
      },
    },
  ];
}

/** The whole config as data (what `telegrafConfig` renders). */
export function telegrafDocument(options: TelegrafOptions): TomlTable {
  const interval = options.interval ?? '10s';
  const inputs = telegrafInputs(options);
  const written = [...new Set(inputs.flatMap((input) => input.settings.namepass))];
  const byPlugin: Record<string, TomlTable[]> = {};
  for (const input of inputs) (byPlugin[input.plugin] ??= []).push(input.settings);
  return {
    agent: {
      interval,
      round_interval: true,
      flush_interval: interval,
      metric_batch_size: 1000,
      metric_buffer_limit: 10000,
      // The pod's hostname is the DaemonSet pod's random name: node_name tags say where instead.
      omit_hostname: true,
      // Logs to stderr (the container's log).
      logfile: '',
    },
    inputs: byPlugin,
    outputs: {
      influxdb: [{
        urls: [env(TELEGRAF_ENV.influxdbUrl)],
        database: env(TELEGRAF_ENV.database),
        // The writer may write, not create databases; the influxdb image creates it at first boot.
        skip_database_creation: true,
        username: env(TELEGRAF_ENV.writeUser),
        password: env(TELEGRAF_ENV.writePassword),
        timeout: '5s',
        // Only what the inputs above let through, so nothing else reaches InfluxDB.
        namepass: written,
      }],
      health: [{
        service_address: `http://:${TELEGRAF_HEALTH_PORT}`,
        // No checks: healthy while the agent runs; it needs no copy of the metrics.
        namepass: [METRICS.telegrafAgent.measurement],
      }],
    },
  };
}

/** The telegraf.conf of the DaemonSet. */
export function telegrafConfig(options: TelegrafOptions): string {
  return renderToml(telegrafDocument(options));
}

/** What a series in InfluxDB can hold: per measurement, the fields and tag keys the config writes. */
export type ProducedSeries = ReadonlyMap<string, { readonly fields: ReadonlySet<string>; readonly tags: ReadonlySet<string> }>;

/**
 * The measurements, fields and tags this config can write, read back from its own filters
 * (`namepass` × `fieldinclude`, `taginclude`); dashboards may only query these.
 */
export function producedSeries(options: TelegrafOptions): ProducedSeries {
  const result = new Map<string, { fields: Set<string>; tags: Set<string> }>();
  for (const { settings } of telegrafInputs(options)) {
    for (const measurement of settings.namepass) {
      const entry = result.get(measurement) ?? { fields: new Set<string>(), tags: new Set<string>() };
      settings.fieldinclude.forEach((field) => entry.fields.add(field));
      settings.taginclude.forEach((tag) => entry.tags.add(tag));
      result.set(measurement, entry);
    }
  }
  return result;
}

/** An RBAC rule, as `rbac.authorization.k8s.io/v1` PolicyRule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/**
 * What telegraf's service account needs. `cluster`: a ClusterRole (nodes are not namespaced) for
 * the kubelet, which turns each request into a SubjectAccessReview on `nodes/<subresource>`
 * (kubernetes `pkg/kubelet/server/auth.go` GetRequestAttributes): `/stats/*` is `get nodes/stats`;
 * `/pods` is `get nodes/pods` where KubeletFineGrainedAuthz is on (beta and on by default since
 * Kubernetes 1.33, KEP-2862, GA in 1.36), with `get nodes/proxy` as the fallback the kubelet tries
 * next. `nodes/proxy` is not granted: it also lets its holder exec into any container of the node.
 * A cluster older than 1.33 (or with the gate off) answers `/pods` 403 with these rules; there the
 * ClusterRole needs `nodes/proxy` as well (README, "Monitoring").
 * `namespace`: a Role in the stack's namespace for kube_inventory's `list pods` there.
 */
export const TELEGRAF_RBAC_RULES: { readonly cluster: readonly PolicyRule[]; readonly namespace: readonly PolicyRule[] } = {
  cluster: [{ apiGroups: [''], resources: ['nodes/stats', 'nodes/pods'], verbs: ['get'] }],
  namespace: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
};
