/**
 * A changed Secret reaches its pods (B9): Kubernetes does not restart a pod when a Secret it mounts
 * changes (a mounted file is updated in place some time later, an environment variable never), and
 * our entrypoints read their secrets once at start. So every pod template carries the checksum of
 * each Secret it uses as an annotation: a new certificate changes the template of exactly the pods
 * that mount it, and their Deployment rolls them.
 */
import { ApiObject, Chart, JsonPatch } from 'cdk8s';

/** The pod-template annotation that carries the checksum of Secret `name`. */
export function secretChecksumAnnotation(name: string): string {
  return `ft-services/checksum-secret-${name}`;
}

interface PodSpecJson {
  readonly volumes?: ReadonlyArray<{ secret?: { secretName?: string }; projected?: { sources?: ReadonlyArray<{ secret?: { name?: string } }> } }>;
  readonly containers?: readonly ContainerJson[];
  readonly initContainers?: readonly ContainerJson[];
}
interface ContainerJson {
  readonly env?: ReadonlyArray<{ valueFrom?: { secretKeyRef?: { name?: string } } }>;
  readonly envFrom?: ReadonlyArray<{ secretRef?: { name?: string } }>;
}

/** Every Secret a pod spec refers to: volumes (plain and projected) and environment variables. */
export function secretsUsedBy(spec: PodSpecJson): string[] {
  const names = new Set<string>();
  for (const volume of spec.volumes ?? []) {
    if (volume.secret?.secretName) names.add(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? []) if (source.secret?.name) names.add(source.secret.name);
  }
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const variable of container.env ?? []) if (variable.valueFrom?.secretKeyRef?.name) names.add(variable.valueFrom.secretKeyRef.name);
    for (const source of container.envFrom ?? []) if (source.secretRef?.name) names.add(source.secretRef.name);
  }
  return [...names].sort();
}

/** Annotates the pod template of every workload of `chart` with the checksums of the Secrets it uses. */
export function annotateSecretChecksums(chart: Chart, checksums: Readonly<Record<string, string>>): void {
  if (Object.keys(checksums).length === 0) return;
  for (const object of chart.node.findAll().filter((node): node is ApiObject => node instanceof ApiObject)) {
    const template = (object.toJson() as { spec?: { template?: { metadata?: { annotations?: Record<string, string> }; spec?: PodSpecJson } } }).spec?.template;
    if (template?.spec === undefined) continue;
    const annotations = Object.fromEntries(secretsUsedBy(template.spec)
      .filter((name) => checksums[name] !== undefined)
      .map((name) => [secretChecksumAnnotation(name), checksums[name]]));
    if (Object.keys(annotations).length === 0) continue;
    if (template.metadata?.annotations === undefined) {
      object.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', annotations));
    } else {
      for (const [key, value] of Object.entries(annotations)) object.addJsonPatch(JsonPatch.add(`/spec/template/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value));
    }
  }
}
