/** Synthesizes the stack in memory, as `cdk8s synth` does, for assertions on the manifests. */
import { App } from 'cdk8s';
import { buildApp } from '../../lib/app';
import { resolveStackConfig, StackConfig, StackConfigOverrides } from '../../lib/config';

// The manifests are plain JSON; tests walk them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = any;

export interface Synth {
  readonly config: StackConfig;
  /** Every object, by chart id (the file name `cdk8s synth` writes, without `.k8s.yaml`). */
  readonly charts: Readonly<Record<string, Manifest[]>>;
  /** Every object of every chart. */
  readonly all: Manifest[];
}

export function synth(...overrides: StackConfigOverrides[]): Synth {
  const config = resolveStackConfig(...overrides);
  // Not Testing.app(): it makes a temporary output folder per call that nothing removes.
  const app = new App();
  buildApp(app, config);
  const charts = Object.fromEntries(app.charts.map((chart) => [chart.node.id, chart.toJson()]));
  return { config, charts, all: Object.values(charts).flat() };
}

export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind);
}

export function named(manifests: readonly Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  if (found === undefined) throw new Error(`no ${kind} named ${name}`);
  return found;
}

/** Deployments and DaemonSets. */
export function workloads(manifests: readonly Manifest[]): Manifest[] {
  return manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'DaemonSet');
}

export function containersOf(workload: Manifest): Manifest[] {
  return [...(workload.spec.template.spec.initContainers ?? []), ...workload.spec.template.spec.containers];
}

/** True when every label of `selector` is on `labels`. */
export function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
