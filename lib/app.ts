import { App } from 'cdk8s';
import { StackConfig } from './config';
import { annotateSecretChecksums } from './secret-checksums';
import { MetalLbChart, NamespaceChart, StackChart } from './stack';

export interface StackCharts {
  readonly namespace: NamespaceChart;
  /** Absent when the cluster's own load balancer is used (B7). */
  readonly metallb?: MetalLbChart;
  readonly stack: StackChart;
}

/** Adds the stack's charts to `app`; their ids are the names of the files `cdk8s synth` writes. */
export function buildApp(app: App, config: StackConfig): StackCharts {
  const namespace = new NamespaceChart(app, 'ft-services-namespace', { config });
  const metallb = config.loadBalancer.mode === 'metallb' ? new MetalLbChart(app, 'ft-services-metallb', { config }) : undefined;
  const stack = new StackChart(app, 'ft-services', { config });
  annotateSecretChecksums(stack, config.secretChecksums);
  return { namespace, metallb, stack };
}
