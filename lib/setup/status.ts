/**
 * `./setup.sh status` (B13): like `helm status`, what is deployed and where, without changing
 * anything: the addresses, where the credentials are, and the state of each service's pods, with
 * their CPU and memory when a metrics server answers (K8).
 */
import { SERVICE_NAMES, StackConfig } from '../config';
import type { Kubectl } from '../probes/cluster';
import { STACK_NAME } from '../stack-service';
import { summary, table } from './report';

/** The fields of a Pod that `kubectl get pods -o json` prints and status reads (core/v1 Pod, PodStatus, ContainerStatus). */
interface PodJson {
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly deletionTimestamp?: string };
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: ReadonlyArray<{
      readonly ready?: boolean;
      readonly restartCount?: number;
      readonly state?: { readonly waiting?: { readonly reason?: string }; readonly terminated?: { readonly reason?: string } };
    }>;
  };
}

/** The STATUS column as `kubectl get pods` shows it: a waiting or terminated container's reason, else the phase. */
export function podState(pod: PodJson): string {
  if (pod.metadata.deletionTimestamp !== undefined) return 'Terminating';
  for (const container of pod.status?.containerStatuses ?? []) {
    const reason = container.state?.waiting?.reason ?? container.state?.terminated?.reason;
    if (reason !== undefined) return reason;
  }
  return pod.status?.phase ?? 'Unknown';
}

/** A pod's CPU and memory as `kubectl top pods` prints them, e.g. `3m` and `12Mi`. */
export interface PodUsage {
  readonly cpu: string;
  readonly memory: string;
}

/**
 * `kubectl top pods --no-headers`: one `NAME CPU(cores) MEMORY(bytes)` line a pod (kubectl
 * pkg/cmd/top/top_pod.go, pkg/metricsutil/metrics_printer.go), by pod name.
 */
export function parseTopPods(output: string): ReadonlyMap<string, PodUsage> {
  return new Map(output.split('\n').map((line) => line.trim().split(/\s+/)).filter((fields) => fields.length >= 3)
    .map(([name, cpu, memory]) => [name, { cpu, memory }]));
}

/**
 * One row per pod of each service, in the order services are described; a service without a pod says so.
 * With `usage` (a metrics server answered), each row ends with the pod's CPU and memory.
 */
export function podRows(pods: readonly PodJson[], usage?: ReadonlyMap<string, PodUsage>): string[][] {
  const measured = (cells: string[], pod?: string): string[] => {
    if (usage === undefined) return cells;
    const used = pod === undefined ? undefined : usage.get(pod);
    return [...cells, used?.cpu ?? '-', used?.memory ?? '-'];
  };
  return SERVICE_NAMES.flatMap((service) => {
    const mine = pods.filter((pod) => pod.metadata.labels?.['app.kubernetes.io/name'] === service);
    if (mine.length === 0) return [measured([service, '-', '0/0', 'no pod', '-'])];
    return mine.map((pod) => {
      const containers = pod.status?.containerStatuses ?? [];
      const ready = containers.filter((container) => container.ready === true).length;
      const restarts = containers.reduce((sum, container) => sum + (container.restartCount ?? 0), 0);
      return measured([service, pod.metadata.name, `${ready}/${containers.length}`, podState(pod), String(restarts)], pod.metadata.name);
    });
  });
}

/** Each pod's usage from the metrics API, or undefined when no metrics server answers (kubectl top then fails). */
async function podUsage(config: StackConfig, kubectl: Kubectl): Promise<ReadonlyMap<string, PodUsage> | undefined> {
  try {
    return parseTopPods(await kubectl(['-n', config.namespace, 'top', 'pods', '-l', `app.kubernetes.io/instance=${STACK_NAME}`, '--no-headers']));
  } catch {
    return undefined;
  }
}

export async function status(config: StackConfig, secretsDir: string, kubectl: Kubectl, kubectlCommand: string): Promise<string> {
  const listing = JSON.parse(await kubectl(['-n', config.namespace, 'get', 'pods', '-l', `app.kubernetes.io/instance=${STACK_NAME}`, '-o', 'json'])) as { items: PodJson[] };
  const usage = await podUsage(config, kubectl);
  const rows = podRows(listing.items, usage);
  const notReady = rows.filter(([, , ready, state]) => state !== 'Running' || ready.split('/')[0] !== ready.split('/')[1]);
  const header = ['SERVICE', 'POD', 'READY', 'STATUS', 'RESTARTS', ...(usage === undefined ? [] : ['CPU', 'MEMORY'])];
  return [
    summary(config, secretsDir),
    '',
    `Pods in namespace ${config.namespace}:`,
    table([header, ...rows]).map((line) => `  ${line}`).join('\n'),
    ...(usage === undefined ? ['  (CPU and memory: no metrics server answers; autoscaling.<service>.enabled has ./setup.sh enable one)'] : []),
    '',
    notReady.length === 0 ? 'Every service is running.'
      : `Not ready: ${notReady.map(([service]) => service).join(', ')}. See why: ${kubectlCommand} -n ${config.namespace} describe pod <pod>`,
  ].join('\n');
}
