/**
 * `./setup.sh status` (B13): like `helm status`, what is deployed and where, without changing
 * anything: the addresses, where the credentials are, and the state of each service's pods.
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

/** One row per pod of each service, in the order services are described; a service without a pod says so. */
export function podRows(pods: readonly PodJson[]): string[][] {
  return SERVICE_NAMES.flatMap((service) => {
    const mine = pods.filter((pod) => pod.metadata.labels?.['app.kubernetes.io/name'] === service);
    if (mine.length === 0) return [[service, '-', '0/0', 'no pod', '-']];
    return mine.map((pod) => {
      const containers = pod.status?.containerStatuses ?? [];
      const ready = containers.filter((container) => container.ready === true).length;
      const restarts = containers.reduce((sum, container) => sum + (container.restartCount ?? 0), 0);
      return [service, pod.metadata.name, `${ready}/${containers.length}`, podState(pod), String(restarts)];
    });
  });
}

export async function status(config: StackConfig, secretsDir: string, kubectl: Kubectl, kubectlCommand: string): Promise<string> {
  const listing = JSON.parse(await kubectl(['-n', config.namespace, 'get', 'pods', '-l', `app.kubernetes.io/instance=${STACK_NAME}`, '-o', 'json'])) as { items: PodJson[] };
  const rows = podRows(listing.items);
  const notReady = rows.filter(([, , ready, state]) => state !== 'Running' || ready.split('/')[0] !== ready.split('/')[1]);
  return [
    summary(config, secretsDir),
    '',
    `Pods in namespace ${config.namespace}:`,
    table([['SERVICE', 'POD', 'READY', 'STATUS', 'RESTARTS'], ...rows]).map((line) => `  ${line}`).join('\n'),
    '',
    notReady.length === 0 ? 'Every service is running.'
      : `Not ready: ${notReady.map(([service]) => service).join(', ')}. See why: ${kubectlCommand} -n ${config.namespace} describe pod <pod>`,
  ].join('\n');
}
