/**
 * The environment a container really gets on the cluster, computed from the synthesized manifests
 * the way the kubelet of Kubernetes v1.35.4 computes it. A stand-in for the kubelet, which cannot
 * run here; every rule below is read in its source:
 * - pkg/kubelet/kubelet_pods.go `getServiceEnvVarMap`: the variables of every Service of the pod's
 *   namespace when `enableServiceLinks` is on, and those of the API server's Service `kubernetes` in
 *   `default` always;
 * - pkg/kubelet/envvars/envvars.go `FromServices` / `makeLinkVariables`: the names and values;
 * - pkg/kubelet/kubelet_pods.go `makeEnvironmentVariables`: `envFrom`, then `env` in order, each
 *   value's `$(NAME)` expanded (third_party/forked/golang/expansion/expand.go), the container's own
 *   variables winning over the Services';
 * - pkg/apis/core/v1/defaults.go: `enableServiceLinks` is true when the manifest leaves it out.
 */
import { Manifest, workloads } from './manifests';

/** Where a Service's cluster IP would be: the API server assigns them, so any address of the range does. */
export type ClusterIps = (service: Manifest) => string;

/** The API server's own Service, as every cluster makes it (kubeadm and minikube: 10.96.0.1). */
export const API_SERVER_SERVICE: Manifest = {
  kind: 'Service',
  metadata: { name: 'kubernetes', namespace: 'default' },
  spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] },
};

/** envvars.go `makeEnvVariableName`. */
function envName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

/** The variables the kubelet makes for `service` (envvars.go `FromServices`), in its order. */
export function serviceLinkVariables(service: Manifest, clusterIp: string): Record<string, string> {
  if (clusterIp === '' || clusterIp === 'None') return {};
  const prefix = envName(service.metadata.name);
  const ports: Manifest[] = service.spec.ports;
  const variables: Record<string, string> = {
    [`${prefix}_SERVICE_HOST`]: clusterIp,
    [`${prefix}_SERVICE_PORT`]: String(ports[0].port),
  };
  for (const port of ports) {
    if (port.name) variables[`${prefix}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
  }
  ports.forEach((port, index) => {
    const protocol: string = port.protocol ?? 'TCP';
    const url = `${protocol.toLowerCase()}://${clusterIp.includes(':') ? `[${clusterIp}]` : clusterIp}:${port.port}`;
    if (index === 0) variables[`${prefix}_PORT`] = url;
    const portPrefix = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
    variables[portPrefix] = url;
    variables[`${portPrefix}_PROTO`] = protocol.toLowerCase();
    variables[`${portPrefix}_PORT`] = String(port.port);
    variables[`${portPrefix}_ADDR`] = clusterIp;
  });
  return variables;
}

/** Cluster IPs from 10.96.1.1 on, in the order of the manifests: the values differ per cluster, the names do not. */
export function placeholderClusterIps(manifests: readonly Manifest[]): ClusterIps {
  const services = manifests.filter((m) => m.kind === 'Service');
  return (service) => service.spec.clusterIP ?? `10.96.1.${services.indexOf(service) + 1}`;
}

/** Every Service of `namespace` in `manifests`. */
function servicesIn(manifests: readonly Manifest[], namespace: string): Manifest[] {
  return manifests.filter((m) => m.kind === 'Service' && m.metadata.namespace === namespace);
}

/** The names of every service-link variable the Services of `manifests` would give a pod of their namespace. */
export function serviceLinkNames(manifests: readonly Manifest[]): string[] {
  const ips = placeholderClusterIps(manifests);
  return manifests.filter((m) => m.kind === 'Service').flatMap((service) => Object.keys(serviceLinkVariables(service, ips(service))));
}

/** expand.go `Expand`: `$(NAME)` → its value when known, `$$` → `$`, anything else as written. */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let output = '';
  for (let i = 0; i < input.length; i += 1) {
    const next = input[i + 1];
    if (input[i] !== '$' || next === undefined) {
      output += input[i];
    } else if (next === '$') {
      output += '$';
      i += 1;
    } else if (next === '(' && input.indexOf(')', i + 2) !== -1) {
      const close = input.indexOf(')', i + 2);
      const name = input.slice(i + 2, close);
      output += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      output += `$${next}`;
      i += 1;
    }
  }
  return output;
}

/** What the kubelet reads from the API besides the manifests: Secret values and pod fields (the downward API). */
export interface PodEnvironmentSources {
  /** The value of key `key` of Secret `name`. @default none: a secretKeyRef fails */
  readonly secret?: (name: string, key: string) => string;
  /** Values of `fieldRef` paths, e.g. `{ 'spec.nodeName': 'node-1' }`. @default none: a fieldRef fails */
  readonly fields?: Readonly<Record<string, string>>;
  /** @default placeholderClusterIps(manifests) */
  readonly clusterIps?: ClusterIps;
}

/** The environment of container `containerName` (@default the workload's name) of workload `workloadName`. */
export function podEnvironment(manifests: readonly Manifest[], workloadName: string, sources: PodEnvironmentSources = {}, containerName = workloadName): Record<string, string> {
  const workload = workloads(manifests).find((m) => m.metadata.name === workloadName);
  if (workload === undefined) throw new Error(`no Deployment or DaemonSet named ${workloadName}`);
  const pod = workload.spec.template.spec;
  const container = pod.containers.find((c: Manifest) => c.name === containerName);
  if (container === undefined) throw new Error(`${workloadName} has no container named ${containerName}`);
  const namespace: string = workload.metadata.namespace;
  const ips = sources.clusterIps ?? placeholderClusterIps(manifests);
  const linked = pod.enableServiceLinks ?? true ? servicesIn(manifests, namespace) : [];
  const serviceEnv: Record<string, string> = Object.assign({},
    serviceLinkVariables(API_SERVER_SERVICE, API_SERVER_SERVICE.spec.clusterIP),
    ...linked.map((service) => serviceLinkVariables(service, ips(service))));

  const own: Record<string, string> = {};
  const configMapData = (name: string): Record<string, string> => {
    const map = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name && m.metadata.namespace === namespace);
    if (map === undefined) throw new Error(`${workloadName}: no ConfigMap ${name} in ${namespace}`);
    return map.data ?? {};
  };
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef === undefined) throw new Error(`${workloadName}: envFrom other than a ConfigMap is not modelled here`);
    for (const [key, value] of Object.entries(configMapData(from.configMapRef.name))) own[`${from.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    own[variable.name] = variableValue(workloadName, variable, (name) => own[name] ?? serviceEnv[name], sources, configMapData);
  }
  return { ...serviceEnv, ...own };
}

function variableValue(workloadName: string, variable: Manifest, lookup: (name: string) => string | undefined,
  sources: PodEnvironmentSources, configMapData: (name: string) => Record<string, string>): string {
  if (variable.value !== undefined && variable.value !== '') return expandReferences(variable.value, lookup);
  const from = variable.valueFrom;
  if (from === undefined) return '';
  const missing = (what: string) => new Error(`${workloadName}: ${variable.name} comes from ${what}, which was not given`);
  if (from.fieldRef !== undefined) {
    const value = sources.fields?.[from.fieldRef.fieldPath];
    if (value === undefined) throw missing(`the pod field ${from.fieldRef.fieldPath}`);
    return value;
  }
  if (from.secretKeyRef !== undefined) {
    if (sources.secret === undefined) throw missing(`Secret ${from.secretKeyRef.name}`);
    return sources.secret(from.secretKeyRef.name, from.secretKeyRef.key);
  }
  if (from.configMapKeyRef !== undefined) {
    const value = configMapData(from.configMapKeyRef.name)[from.configMapKeyRef.key];
    if (value === undefined) throw missing(`ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}`);
    return value;
  }
  throw new Error(`${workloadName}: ${variable.name}'s source is not modelled here`);
}
