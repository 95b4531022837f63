/**
 * What our telegraf DaemonSet would write to InfluxDB, without telegraf (not packaged by Debian):
 * metrics shaped exactly as telegraf 1.34's inputs emit them (names, tags, field types from the
 * plugins' READMEs and sources cited in lib/telegraf-config.ts), passed through the filters of
 * OUR generated config (namepass, tagpass, tags, fieldinclude, taginclude, in telegraf's order:
 * select on the raw metric, add the plugin's tags, then modify), and serialized the way telegraf's
 * influx serializer does (sorted tags, `i` for integers, nanosecond timestamps).
 */
import { TelegrafInput } from '../../../lib/telegraf-config';

/** An integer field (telegraf's int64, `123i` in line protocol); plain numbers are floats. */
export interface Int { readonly int: number }
export const int = (value: number): Int => ({ int: Math.round(value) });

export interface Metric {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | string | boolean | Int>>;
  /** Nanoseconds since the epoch. */
  readonly time: bigint;
}

/** `metric` as the input plugin `input` of our config lets it through, or undefined when dropped. */
export function throughInput(input: TelegrafInput, metric: Metric): Metric | undefined {
  const { namepass, tagpass, tags, fieldinclude, taginclude } = input.settings as TelegrafInput['settings'] & { tagpass?: Record<string, readonly string[]> };
  if (!namepass.includes(metric.measurement)) return undefined;
  if (tagpass && !Object.entries(tagpass).some(([key, values]) => metric.tags[key] !== undefined && values.includes(metric.tags[key]))) return undefined;
  const allTags = { ...metric.tags, ...(tags ?? {}) };
  const keptTags = Object.fromEntries(Object.entries(allTags).filter(([key]) => taginclude.includes(key)));
  const keptFields = Object.fromEntries(Object.entries(metric.fields).filter(([key]) => fieldinclude.includes(key)));
  // Telegraf drops a metric left without fields.
  if (Object.keys(keptFields).length === 0) return undefined;
  return { ...metric, tags: keptTags, fields: keptFields };
}

const escapeKey = (text: string): string => text.replace(/[,= ]/g, (c) => `\\${c}`);
const escapeMeasurement = (text: string): string => text.replace(/[, ]/g, (c) => `\\${c}`);

function fieldValue(value: number | string | boolean | Int): string {
  if (typeof value === 'object') return `${value.int}i`;
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return String(value);
}

/** One line of InfluxDB line protocol, as telegraf's influx serializer writes it. */
export function lineProtocol(metric: Metric): string {
  const tags = Object.keys(metric.tags).sort().map((key) => `,${escapeKey(key)}=${escapeKey(metric.tags[key])}`).join('');
  const fields = Object.keys(metric.fields).sort().map((key) => `${escapeKey(key)}=${fieldValue(metric.fields[key])}`).join(',');
  return `${escapeMeasurement(metric.measurement)}${tags} ${fields} ${metric.time}`;
}

/** A pod as the kubelet and the API server name it. */
export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly node: string;
}

/** inputs.kubernetes: `kubernetes_pod_container` for one container (kubernetes.go buildPodMetrics). */
export function kubeletContainer(pod: Pod, step: number, time: bigint): Metric {
  return {
    measurement: 'kubernetes_pod_container',
    tags: { container_name: pod.container, namespace: pod.namespace, node_name: pod.node, pod_name: pod.name },
    fields: {
      cpu_usage_nanocores: int(25_000_000 + step * 1_000_000), cpu_usage_core_nanoseconds: int(1e12 + step * 25e7),
      memory_usage_bytes: int(80e6), memory_working_set_bytes: int(64e6 + step * 1e6), memory_rss_bytes: int(50e6),
      memory_page_faults: int(1000 + step), memory_major_page_faults: int(0),
      rootfs_available_bytes: int(9e9), rootfs_capacity_bytes: int(2e10), rootfs_used_bytes: int(1e6),
      logsfs_available_bytes: int(9e9), logsfs_capacity_bytes: int(2e10), logsfs_used_bytes: int(2e4),
    },
    time,
  };
}

/** inputs.kubernetes: `kubernetes_pod_network` for one pod (counters since the pod started). */
export function kubeletNetwork(pod: Pod, step: number, time: bigint): Metric {
  return {
    measurement: 'kubernetes_pod_network',
    tags: { namespace: pod.namespace, node_name: pod.node, pod_name: pod.name },
    fields: { rx_bytes: int(1e6 + step * 20_000), rx_errors: int(0), tx_bytes: int(5e5 + step * 10_000), tx_errors: int(0) },
    time,
  };
}

/** inputs.kubernetes: the node-wide series, which carry no namespace. */
export function kubeletNode(node: string, time: bigint): Metric[] {
  return [
    { measurement: 'kubernetes_node', tags: { node_name: node }, fields: { cpu_usage_nanocores: int(9e8), memory_working_set_bytes: int(1.5e9), network_rx_bytes: int(1e9) }, time },
    { measurement: 'kubernetes_system_container', tags: { container_name: 'kubelet', node_name: node }, fields: { cpu_usage_nanocores: int(5e7), memory_working_set_bytes: int(6e7) }, time },
  ];
}

/** inputs.kube_inventory: `kubernetes_pod_container` status of one container (pod.go). */
export function inventoryContainer(pod: Pod, restarts: number, time: bigint): Metric {
  return {
    measurement: 'kubernetes_pod_container',
    tags: { container_name: pod.container, namespace: pod.namespace, node_name: pod.node, pod_name: pod.name, phase: 'Running', readiness: 'ready', state: 'running' },
    fields: {
      restarts_total: int(restarts), state_code: int(0), state_reason: '', phase_reason: '',
      resource_requests_millicpu_units: int(50), resource_requests_memory_bytes: int(64 * 2 ** 20),
      resource_limits_millicpu_units: int(300), resource_limits_memory_bytes: int(128 * 2 ** 20),
    },
    time,
  };
}

/** inputs.internal: `internal_agent` (plugins/inputs/internal/README.md). */
export function internalAgent(step: number, time: bigint): Metric {
  return {
    measurement: 'internal_agent',
    tags: { go_version: '1.24.4', version: '1.34.4' },
    fields: { metrics_gathered: int(100 * step), metrics_written: int(95 * step), metrics_dropped: int(0), gather_errors: int(step), gather_timeouts: int(0) },
    time,
  };
}

/**
 * inputs.influxdb: one metric per `/debug/vars` entry that has a name, `influxdb_<name>`, tagged
 * with the entry's tags and the URL, its values as fields (JSON numbers decode as floats).
 */
export function influxdbDebugVars(vars: Record<string, unknown>, url: string, time: bigint): Metric[] {
  const metrics: Metric[] = [];
  for (const entry of Object.values(vars)) {
    if (typeof entry !== 'object' || entry === null || !('name' in entry)) continue;
    const { name, tags, values } = entry as { name: string; tags?: Record<string, string>; values?: Record<string, number | string | boolean> };
    const fields = Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => ['number', 'string', 'boolean'].includes(typeof value)));
    if (Object.keys(fields).length > 0) metrics.push({ measurement: `influxdb_${name}`, tags: { ...(tags ?? {}), url }, fields, time });
  }
  return metrics;
}
