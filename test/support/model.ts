/** The stack's services as the chart makes them: the one model tests read instead of tables of their own. */
import { App } from 'cdk8s';
import { buildApp } from '../../lib/app';
import { resolveStackConfig, ServiceName, StackConfig } from '../../lib/config';
import { PodMetric } from '../../lib/monitoring/pod-metrics';
import { StackService } from '../../lib/stack-service';

/** The chart's services for `config`, in the order of SERVICE_NAMES. */
export function stackServices(config: StackConfig = resolveStackConfig()): readonly StackService[] {
  return buildApp(new App(), config).stack.services;
}

/** The services whose pods serve their own metrics, with those metrics in the order the collectors print them. */
export function servedMetrics(config?: StackConfig): ReadonlyMap<ServiceName, readonly PodMetric[]> {
  return new Map(stackServices(config).filter((service) => service.servedMetrics.length > 0).map((service) => [service.name, service.servedMetrics]));
}

/** What the chart gives telegraf's config in `namespace`: the metrics every pod serves itself. */
export function telegrafOptions(namespace: string): { namespace: string; podMetrics: string[] } {
  return { namespace, podMetrics: [...servedMetrics().values()].flat().map((metric) => metric.name) };
}
