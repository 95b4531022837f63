/**
 * StackService: what every service of this stack shares, decided once. A service's module
 * (lib/services/<name>.ts) says only what is special about it: its ports and the variables its
 * image reads for them, env, secrets, volume, health checks, the services it connects to, the
 * metrics its pods serve with their panels, and what `./setup.sh check` does to it. The chart and
 * `check` and `docs` read those from the constructs (StackChart.services), one model.
 *
 * cdk8s-plus defaults that would break this stack are overridden here, on purpose:
 * - hashed resource names → explicit names, so services are reachable as `mysql`, `influxdb`…;
 * - 2 replicas → 1 unless the config scales a stateless service (B7);
 * - `imagePullPolicy: Always` → `Never` without a registry: setup builds every image into the
 *   cluster's own store (S2), so a missing image fails as `ErrImageNeverPull` instead of a pull of
 *   `docker.io/library/<service>:<tag>` that can only fail later, or fetch a stranger's image;
 *   `IfNotPresent` with a registry (B7): setup tags images with content hashes and a tag is never
 *   `latest`, so an image a node already holds is the one the tag names;
 * - requests of 1 CPU / 512Mi → the config's per-service resources, which fit minikube (K5);
 * - `runAsNonRoot` + read-only root filesystem → root entrypoints that drop privileges themselves,
 *   as the official images do (the Pod Security Standard "baseline" still holds, B4), each keeping
 *   only the capabilities its module names with their reasons (B15), on a read-only root
 *   filesystem where its module says so (`rootFilesystem`); a service that needs no root
 *   (telegraf) runs as its image's numeric user, read-only, with no capability (`runAs`);
 * - a 30-second TCP startup probe → a startup probe on the real health check with a first-boot
 *   allowance per service (a first-boot MySQL or WordPress install takes longer);
 * - the `cdk8s.io/metadata.addr` selector → `app.kubernetes.io/*` labels (K4);
 * - Kubernetes' service-link variables → none (`enableServiceLinks: false`, see below).
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AutoscalingSpec, DaemonSetService, dataClaimName, ResourceSpec, SERVICE_NAMES, ServiceName, StackConfig, StatefulService } from './config';
import { capabilityList, CapabilityReasons } from './capabilities';
import { Exposure, serviceExposure, ServiceType } from './endpoints';
import { PanelSpec, PodMetrics } from './monitoring/dashboards';
import { METRICS_PORT, METRICS_REUSE_SECONDS, PodMetric, scrapeAnnotations } from './monitoring/pod-metrics';
import type { ConnectCommand, DatabaseMarker } from './probes/cluster';
import { HANDED_DIR, readerHandedVariable, SECRET_READERS, SecretFile, secretFileName, SecretReader, SecretSpec, secretMountPath, StackSecrets } from './secrets';

/** The name shared by every object of the stack (the `app.kubernetes.io/instance` and `part-of` label). */
export const STACK_NAME = 'ft-services';

/** How a probe tests that a service really works (K1). */
export type HealthCheck =
  | { readonly kind: 'exec'; readonly command: readonly string[] }
  | { readonly kind: 'http'; readonly path: string; readonly port: number; readonly scheme: 'HTTP' | 'HTTPS' };

export interface ContainerPort {
  /** IANA-style port name, at most 15 characters. */
  readonly name: string;
  /** The port the container listens on. */
  readonly containerPort: number;
  /** The port the Service exposes. @default containerPort */
  readonly servicePort?: number;
  /**
   * The variable the image reads for the port it listens on (its entrypoint's); the chart sets it to
   * `containerPort`, so the image moves with the module (test/image-contract.test.ts holds each
   * module to its image's EXPOSE and entrypoint). @default none: the port reaches the image another
   * way, e.g. in a config file the chart generates, or within a range passed as two variables
   */
  readonly listenVariable?: string;
}

/** A user and group by number, as the kubelet needs them to check runAsNonRoot. */
export interface NumericUser {
  readonly user: number;
  readonly group: number;
}

/** A folder a service writes though its root filesystem is read-only: an emptyDir volume of its own (B15). */
export interface WritableFolder {
  readonly path: string;
  /** What writes there. */
  readonly why: string;
}

/**
 * The container's root filesystem (B15): read-only, with the folders the service writes on emptyDir
 * volumes of their own, by name (the volume is `writable-<name>`); or writable, and why.
 */
export type RootFilesystem =
  | { readonly readOnly: true; readonly writable: Readonly<Record<string, WritableFolder>> }
  | { readonly readOnly: false; readonly because: string };

/** What every service construct is given: the stack's configuration and its Secrets. */
export interface StackServiceContext {
  readonly config: StackConfig;
  readonly secrets: StackSecrets;
}

/** The image a service runs: `<registry><service>:<tag>` (S2). */
export interface ServiceImage {
  readonly name: string;
  /** Also the `app.kubernetes.io/version` label. */
  readonly tag: string;
  /** `Never` for images built into the cluster, `IfNotPresent` for a registry's (see the header). */
  readonly pullPolicy: kplus.ImagePullPolicy;
}

/** The service's PersistentVolumeClaim `<name>-data` (ReadWriteOnce) and where it is mounted (K6). */
export interface DataVolume {
  readonly path: string;
  /** A Kubernetes quantity, e.g. `1Gi`. */
  readonly size: string;
  /** @default the cluster's default StorageClass */
  readonly storageClass?: string;
}

/** Files mounted read-only as one folder, from the ConfigMap `<service>-<key>` this construct makes. */
export interface ConfigFolder {
  readonly path: string;
  readonly files: Readonly<Record<string, string>>;
}

interface CommonProps {
  /** `app.kubernetes.io/component`, e.g. `database`. */
  readonly component: string;
  readonly image: ServiceImage;
  /** The container's requests and limits (K5). */
  readonly resources: ResourceSpec;
  readonly ports: readonly ContainerPort[];
  /** How the ports are reachable: through the shared load-balancer address, inside the cluster only, or not at all. */
  readonly exposure: Exposure;
  /** Environment variables: plain values, or EnvValues for Secret keys and pod fields. @default {} */
  readonly env?: Readonly<Record<string, string | number | kplus.EnvValue>>;
  /** Secrets mounted read-only at `/run/secrets/<name>/`. @default [] */
  readonly secrets?: readonly SecretSpec[];
  /** Secrets that may be absent (the image then falls back, e.g. generates a key). @default [] */
  readonly optionalSecrets?: readonly SecretSpec[];
  /**
   * Of `secrets`, the files an unprivileged process of the container reads itself, by reader
   * (lib/secrets.ts SecretReader): the entrypoint hands each reader a copy of its own at start
   * (srcs/common/hand-over), under HANDED_DIR on a memory-backed emptyDir, and the chart
   * tells it which files in `<READER>_HANDED`. @default {} — every Secret is mounted 0400 for root
   * alone, whatever reads it: the entrypoints and the TLS servers' masters run as root, and no login
   * user (the nginx container's SSH user), worker or other reader may read another's (B11, B15).
   */
  readonly secretReaders?: Readonly<Partial<Record<SecretReader, readonly SecretFile[]>>>;
  /** ConfigMaps this construct makes and mounts, by the suffix of their name (`<service>-<key>`). @default {} */
  readonly configFolders?: Readonly<Record<string, ConfigFolder>>;
  readonly liveness: HealthCheck;
  /** @default the liveness check */
  readonly readiness?: HealthCheck;
  /**
   * How long the first start may take before the liveness probe counts (first-boot initialisation).
   * @default 60
   */
  readonly firstBootSeconds?: number;
  /**
   * For services that call the Kubernetes API or the kubelet: a ServiceAccount named after the
   * service, whose token is mounted, and egress to their ports (lib/stack.ts egressRules). @default
   * false: no account, no token is mounted, and neither may be opened
   */
  readonly apiAccess?: boolean;
  /**
   * The services this one opens connections to, each on its Service's port (B8). A service with
   * `clientsOnly` admits these clients alone. @default []
   */
  readonly connectsTo?: readonly StackService[];
  /**
   * Admit to the ports only the services that name this one in `connectsTo` (the chart's
   * NetworkPolicy `<name>-allow-clients`, B8). @default false: every source, as without a policy
   */
  readonly clientsOnly?: boolean;
  /**
   * Keep each client on one pod (`sessionAffinity: ClientIP`, K8): for servers that keep a client's
   * session in the pod's own files. @default false
   */
  readonly sessionAffinity?: boolean;
  /**
   * How long the servers may take, once told to stop, to finish the requests in flight and flush (K8).
   * @default 10
   */
  readonly stopSeconds?: number;
  /**
   * Whether the image's entrypoint execs srcs/common/run-together, which the chart then tells
   * `stopSeconds` (RUN_TOGETHER_GRACE). @default true
   */
  readonly runTogether?: boolean;
  /**
   * Who the container runs as (B15). `root`: the entrypoint starts as root and drops privileges
   * itself (see the header). A numeric user and group: the image's `USER` (test/image-contract.test.ts
   * holds the two equal), checked by the kubelet (runAsNonRoot), on a read-only root filesystem, with
   * every capability dropped. @default 'root'
   */
  readonly runAs?: 'root' | NumericUser;
  /**
   * The only capabilities the container keeps, each with why it needs it (B15): every other is
   * dropped, the runtime's defaults too (containerd's: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW
   * SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE, containerd
   * oci/spec.go defaultUnixCaps). `{}` for none.
   */
  readonly capabilities: CapabilityReasons;
  /** Whether the root filesystem is read-only and where the service writes, or why it stays writable. */
  readonly rootFilesystem: RootFilesystem;
  /** The metrics the pods serve themselves on METRICS_PORT, and who may read them there (B10). @default none */
  readonly podMetrics?: ServedPodMetrics;
  /** Panels of the service's own work that are not its pods' metrics (telegraf's own). @default none */
  readonly panels?: (namespace: string) => PanelSpec[];
  /** What `./setup.sh check` does to this service and with it (B6). */
  readonly checks: ServiceChecks;
}

/** A service's pods serve `families` on METRICS_PORT to the pods of `scrapedBy` alone (B10, lib/monitoring/pod-metrics.ts). */
export interface ServedPodMetrics {
  /** The metrics of each program in the pod, with their panels; a pod with two serves both from its one endpoint. */
  readonly families: readonly PodMetrics[];
  /** The service whose pods read them, on the pod's own address (no Service carries the port, S4). */
  readonly scrapedBy: ServiceName;
}

/** The live checks' hooks (lib/setup/check.ts). */
export interface ServiceChecks {
  /**
   * The process `pkill` stops in the container for S11, as an evaluator does. For a container
   * running two daemons it is the one the HTTP probes would not notice.
   */
  readonly processToKill: string;
  /** How S10 writes a marker into the service's data and reads it back. @default no S10 check */
  readonly dataSurvives?: DatabaseMarker;
  /** How this service's container opens a connection, with what its image has, for the B8 check. @default none */
  readonly connect?: ConnectCommand;
  /**
   * Whether `connect` exits 0 exactly when a TCP connection opened, on any port (php's fsockopen,
   * curl's time_connect), so its failure proves an egress refusal; busybox wget on /ping fails on
   * every other server whether or not it connected. @default false
   */
  readonly connectAnyPort?: boolean;
}

/**
 * What depends on the kind of service, checked by the compiler: a stateful service (STATEFUL_SERVICES)
 * has its volume and one pod with the `Recreate` strategy; only the others may scale; a
 * DAEMONSET_SERVICES service runs one pod per node (K7).
 */
type KindProps<N extends ServiceName> =
  & (N extends StatefulService
    ? { readonly volume: DataVolume; readonly replicas?: never; readonly autoscaling?: never }
    : {
      readonly volume?: never;
      /** @default 1 */ readonly replicas?: number;
      /** A HorizontalPodAutoscaler on CPU when enabled; it then owns the replica count. @default none */
      readonly autoscaling?: AutoscalingSpec;
    })
  & (N extends DaemonSetService ? { readonly workload: 'daemonset' } : { readonly workload?: 'deployment' });

export type StackServiceProps = {
  /** The service's name: its image, Deployment/DaemonSet, Service and container are all named so. */
  [N in ServiceName]: CommonProps & { readonly name: N } & KindProps<N>
}[ServiceName];

/**
 * How long a pod that is told to stop keeps serving first, so that it has left its Service's
 * endpoints everywhere before its servers stop (K8). On deletion the API server sets the pod's
 * deletionTimestamp; the EndpointSlice controller then marks its endpoint `ready: false,
 * terminating: true` (k8s.io/endpointslice v0.35.4 utils.go, podToEndpoint), and each node's
 * kube-proxy stops sending new connections to it once it has synced its rules (pkg/proxy/topology.go
 * CategorizeEndpoints: ready endpoints only, terminating ones only when none is ready). The kubelet,
 * at the same moment and not after them, runs the container's preStop hook, then sends the stop
 * signal with what remains of the grace period (pkg/kubelet/kuberuntime/kuberuntime_container.go
 * killContainer, v1.35.4). The hook's wait covers that race. It is an `exec` of the images' `sleep`,
 * not the `sleep` action, which needs Kubernetes 1.29 (feature PodLifecycleSleepAction), and the
 * chart holds to the 1.27 API as well (test/schemas.test.ts).
 */
export const ENDPOINT_DRAIN_SECONDS = 5;

/** What the kubelet allows above the hook and the servers' own stop, for the inits (tini, run-together) to exit. */
const STOP_MARGIN_SECONDS = 5;

/** Seconds between two startup-probe attempts. */
const STARTUP_PERIOD_SECONDS = 5;

/** The emptyDir volume of a read-only container's writable folder `key` (B15). */
export function writableVolumeName(key: string): string {
  return `writable-${key}`;
}

/** The labels every object of a service carries (K4). */
function serviceLabels(name: ServiceName, component: string, version: string): Record<string, string> {
  return {
    ...selectorLabels(name),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': STACK_NAME,
    'app.kubernetes.io/managed-by': 'cdk8s',
    'app.kubernetes.io/version': version,
  };
}

/** The labels that select exactly one service's pods. */
export function selectorLabels(name: ServiceName): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': STACK_NAME };
}

/** The tag the configuration gives a service's image (not to be confused with setup's content-hash tags). */
export function configuredImageTag(config: StackConfig, name: ServiceName): string {
  return config.images.tags[name] ?? config.images.tag;
}

/** Images are named after their service (S2). */
export function serviceImage(config: StackConfig, name: ServiceName): ServiceImage {
  const tag = configuredImageTag(config, name);
  const pullPolicy = config.images.registry === '' ? kplus.ImagePullPolicy.NEVER : kplus.ImagePullPolicy.IF_NOT_PRESENT;
  return { name: `${config.images.registry}${name}:${tag}`, tag, pullPolicy };
}

/**
 * What the configuration decides for every service alike: its image, resources and Service, of
 * type `type` (public on the shared address, inside the cluster only, or none at all).
 */
export function configuredService<N extends ServiceName>(config: StackConfig, name: N, type: ServiceType | 'none'):
  { readonly name: N; readonly image: ServiceImage; readonly resources: ResourceSpec; readonly exposure: Exposure } {
  return { name, image: serviceImage(config, name), resources: config.resources[name], exposure: serviceExposure(config, type) };
}

/** `services` in the order of SERVICE_NAMES (the order they are described in), not the order they were made in. */
export function inServiceOrder<T extends { readonly name: ServiceName }>(services: readonly T[]): T[] {
  return [...services].sort((a, b) => SERVICE_NAMES.indexOf(a.name) - SERVICE_NAMES.indexOf(b.name));
}

/** The services among `services` that connect to `target`. */
export function clientsOf(target: StackService, services: readonly StackService[]): StackService[] {
  return inServiceOrder(services.filter((service) => service.connectsTo.includes(target)));
}

/** A stateful service's volume, sized and classed by the configuration. */
export function dataVolume(config: StackConfig, name: StatefulService, path: string): DataVolume {
  return { path, size: config.storage.sizes[name], storageClass: config.storage.storageClass };
}

export class StackService extends Construct {
  readonly name: ServiceName;
  /** The labels of every object of this service (K4). */
  readonly labels: Readonly<Record<string, string>>;
  readonly workload: kplus.Deployment | kplus.DaemonSet;
  readonly container: kplus.Container;
  /** The Service in front of the pods, when the ports are exposed. */
  readonly service?: kplus.Service;
  readonly claim?: k8s.KubePersistentVolumeClaim;
  /** The account the pods run as, with `apiAccess`. */
  readonly serviceAccount?: kplus.ServiceAccount;
  /** The ports, as given. */
  readonly ports: readonly ContainerPort[];
  /** How the ports are reachable. */
  readonly exposure: Exposure;
  /** The services this one connects to. */
  readonly connectsTo: readonly StackService[];
  /** Whether only the services that connect to this one are admitted to its ports. */
  readonly clientsOnly: boolean;
  /** Who the container runs as: root, or the image's numeric user. */
  readonly runAs: 'root' | NumericUser;
  /** The capabilities the container keeps, with their reasons; it drops every other. */
  readonly capabilities: CapabilityReasons;
  /** Whether the container's root filesystem is read-only, and where it writes then. */
  readonly rootFilesystem: RootFilesystem;
  /** What its pods serve on METRICS_PORT, if anything. */
  readonly podMetrics?: ServedPodMetrics;
  readonly checks: ServiceChecks;
  private readonly panels?: (namespace: string) => PanelSpec[];

  constructor(scope: Construct, id: string, props: StackServiceProps) {
    super(scope, id);
    const { name } = props;
    this.name = name;
    this.ports = props.ports;
    this.exposure = props.exposure;
    this.connectsTo = props.connectsTo ?? [];
    this.clientsOnly = props.clientsOnly ?? false;
    this.runAs = props.runAs ?? 'root';
    this.capabilities = props.capabilities;
    this.rootFilesystem = props.rootFilesystem;
    this.podMetrics = props.podMetrics;
    this.checks = props.checks;
    this.panels = props.panels;
    const labels = serviceLabels(name, props.component, props.image.tag);
    this.labels = labels;
    const metadata = { name, labels };
    const volume = props.volume;

    if (props.apiAccess) this.serviceAccount = new kplus.ServiceAccount(this, 'Account', { metadata, automountToken: false });
    const configMaps = Object.entries(props.configFolders ?? {}).map(([key, folder]) => ({
      path: folder.path,
      configMap: new kplus.ConfigMap(this, `ConfigMap${key}`, { metadata: { name: `${name}-${key}`, labels }, data: { ...folder.files } }),
    }));

    const podProps = {
      metadata,
      podMetadata: { labels },
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: this.serviceAccount !== undefined,
      securityContext: { ensureNonRoot: this.runAs !== 'root' },
    };
    this.workload = props.workload === 'daemonset'
      ? new kplus.DaemonSet(this, 'Workload', podProps)
      : new kplus.Deployment(this, 'Workload', {
        ...podProps,
        replicas: props.replicas ?? 1,
        strategy: volume !== undefined ? kplus.DeploymentStrategy.recreate() : undefined,
      });
    this.workload.select(kplus.LabelSelector.of({ labels: selectorLabels(name) }));
    // cdk8s-plus has no typed field for these; JSON patches use its TypeScript key spelling.
    ApiObject.of(this.workload).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      // No service links: the API server defaults enableServiceLinks to true (pkg/apis/core/v1/defaults.go),
      // and the kubelet then gives every container `<SERVICE>_PORT=tcp://<cluster IP>:<port>`,
      // `<SERVICE>_SERVICE_HOST` and more for every Service of the namespace (kubernetes v1.35
      // pkg/kubelet/kubelet_pods.go getServiceEnvVarMap, pkg/kubelet/envvars/envvars.go). The ftps
      // pod got FTPS_PORT=tcp://10.96.225.214:21 so, where its entrypoint expected a number. Pods
      // find each other by DNS name; only the API server's KUBERNETES_SERVICE_* stay.
      JsonPatch.add('/spec/template/spec/enableServiceLinks', false),
      // cdk8s-plus labels every pod with its construct path; our selectors use app.kubernetes.io/* only.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    );
    if (props.workload !== 'daemonset') ApiObject.of(this.workload).addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', 3));

    const readers = SECRET_READERS.flatMap((reader) => {
      const files = props.secretReaders?.[reader] ?? [];
      const unmounted = files.filter((file) => !(props.secrets ?? []).includes(file.secret));
      if (unmounted.length > 0) throw new Error(`${props.name}: secretReaders.${reader} names ${unmounted.map(secretFileName).join(', ')}, whose Secret is not in secrets`);
      return files.length > 0 ? [[reader, files] as const] : [];
    });
    const { resources } = props;
    const stopSeconds = props.stopSeconds ?? 10;
    const liveness = props.liveness;
    const readiness = props.readiness ?? liveness;
    this.container = this.workload.addContainer({
      name,
      image: props.image.name,
      imagePullPolicy: props.image.pullPolicy,
      ports: props.ports.map((port) => ({ name: port.name, number: port.containerPort })),
      envVariables: Object.fromEntries(Object.entries<string | number | kplus.EnvValue>({
        ...props.env,
        // Where the image listens: what the ports say.
        ...Object.fromEntries(props.ports.filter((port) => port.listenVariable !== undefined).map((port) => [port.listenVariable, port.containerPort])),
        // serve-metrics listens there, and reuses an answer that long (srcs/common/serve-metrics).
        ...(props.podMetrics === undefined ? {} : { METRICS_LISTEN: METRICS_PORT, METRICS_CACHE_SECONDS: METRICS_REUSE_SECONDS }),
        // How long run-together waits for its servers after passing on the stop signal.
        ...(props.runTogether ?? true ? { RUN_TOGETHER_GRACE: stopSeconds } : {}),
        // Which Secret files the entrypoint hands to which reader, and where (srcs/common/hand-over).
        ...(readers.length === 0 ? {} : { HANDED_DIR }),
        ...Object.fromEntries(readers.map(([reader, files]) => [readerHandedVariable(reader), files.map(secretFileName).join(' ')])),
      }).map(([key, value]) => [key, value instanceof kplus.EnvValue ? value : kplus.EnvValue.fromValue(String(value))])),
      resources: {
        cpu: { request: kplus.Cpu.millis(resources.cpuRequestMillis), limit: kplus.Cpu.millis(resources.cpuLimitMillis) },
        memory: { request: Size.mebibytes(resources.memoryRequestMebibytes), limit: Size.mebibytes(resources.memoryLimitMebibytes) },
      },
      securityContext: {
        ...(this.runAs === 'root' ? { ensureNonRoot: false } : { ensureNonRoot: true, user: this.runAs.user, group: this.runAs.group }),
        readOnlyRootFilesystem: this.rootFilesystem.readOnly,
        privileged: false,
        allowPrivilegeEscalation: false,
      },
      startup: toProbe(readiness, {
        periodSeconds: Duration.seconds(STARTUP_PERIOD_SECONDS),
        failureThreshold: Math.ceil((props.firstBootSeconds ?? 60) / STARTUP_PERIOD_SECONDS),
      }),
      liveness: toProbe(liveness, { periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      readiness: toProbe(readiness, { periodSeconds: Duration.seconds(5), failureThreshold: 3 }),
    });
    // cdk8s-plus serializes ephemeral storage as whole Gi only (container.js: toGibibytes()), so the
    // measured sizes in MiB are patched in, as Quantities: the L1 class reads the patched value's
    // `.value` when it renders (a plain string would come out as null).
    const index = this.workload.containers.indexOf(this.container);
    ApiObject.of(this.workload).addJsonPatch(
      JsonPatch.add(`/spec/template/spec/containers/${index}/resources/requests/ephemeral-storage`, k8s.Quantity.fromString(`${resources.ephemeralStorageRequestMebibytes}Mi`)),
      JsonPatch.add(`/spec/template/spec/containers/${index}/resources/limits/ephemeral-storage`, k8s.Quantity.fromString(`${resources.ephemeralStorageLimitMebibytes}Mi`)),
    );

    // cdk8s-plus's Capability names single capabilities (CAP_…) and has no ALL.
    const add = capabilityList(this.capabilities);
    ApiObject.of(this.workload).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'], ...(add.length > 0 ? { add } : {}) }));

    if (this.rootFilesystem.readOnly) {
      for (const [key, folder] of Object.entries(this.rootFilesystem.writable)) {
        this.container.mount(folder.path, kplus.Volume.fromEmptyDir(this, `Writable${key}`, writableVolumeName(key)));
      }
    }

    for (const secret of props.secrets ?? []) this.mountSecret(secret, false);
    for (const secret of props.optionalSecrets ?? []) this.mountSecret(secret, true);
    if (readers.length > 0) {
      // Memory-backed like the Secret volumes themselves (k8s.io/kubernetes v1.35.4
      // pkg/volume/secret/secret.go mounts them through an emptyDir of medium Memory): a copy
      // never reaches the node's disk. A few small files: the limit only bounds a runaway writer.
      const handed = kplus.Volume.fromEmptyDir(this, 'HandedSecrets', 'handed-secrets', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
      this.container.mount(HANDED_DIR, handed);
    }
    for (const { path, configMap } of configMaps) {
      const configVolume = kplus.Volume.fromConfigMap(this, `Config${configMap.name}`, configMap, { name: configMap.name });
      this.container.mount(path, configVolume, { readOnly: true });
    }

    if (volume !== undefined) {
      // The L1 class: cdk8s-plus serializes a claim's size as whole Gi only, so 256Mi would not synth.
      this.claim = new k8s.KubePersistentVolumeClaim(this, 'Data', {
        metadata: { name: dataClaimName(name), labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(volume.size) } },
          storageClassName: volume.storageClass,
        },
      });
      // The claim first in the manifests, which kubectl applies in order: a Deployment applied before
      // its claim has the scheduler log `persistentvolumeclaim "<name>-data" not found` on a first deploy.
      this.workload.node.addDependency(this.claim);
      const claim = kplus.PersistentVolumeClaim.fromClaimName(this, 'DataClaim', this.claim.name);
      this.container.mount(volume.path, kplus.Volume.fromPersistentVolumeClaim(this, 'DataVolume', claim, { name: 'data' }));
    }

    const { exposure } = props;
    if (exposure.type !== 'none') {
      this.service = new kplus.Service(this, 'Service', {
        metadata,
        type: exposure.type === 'LoadBalancer' ? kplus.ServiceType.LOAD_BALANCER : kplus.ServiceType.CLUSTER_IP,
        ports: props.ports.map((port) => ({ name: port.name, port: port.servicePort ?? port.containerPort, targetPort: port.containerPort })),
      });
      for (const [key, value] of Object.entries(selectorLabels(name))) this.service.selectLabel(key, value);
      if (exposure.type === 'LoadBalancer') shareLoadBalancerAddress(this.service, exposure);
    }
    if (props.podMetrics !== undefined) this.servePodMetrics(props.podMetrics);
    if (props.sessionAffinity) {
      if (this.service === undefined) throw new Error(`${name}: sessionAffinity needs a Service`);
      ApiObject.of(this.service).addJsonPatch(JsonPatch.add('/spec/sessionAffinity', 'ClientIP'));
    }
    this.stopGracefully(stopSeconds, volume === undefined && this.workload instanceof kplus.Deployment && this.service !== undefined);
    if (this.workload instanceof kplus.Deployment && props.volume === undefined) this.scale(props.replicas ?? 1, props.autoscaling);
  }

  /**
   * K8: the pod leaves its Service's endpoints before its servers stop, when another pod can take its
   * clients (a rolling update, or more than one replica; ENDPOINT_DRAIN_SECONDS says why), and the
   * kubelet waits for the servers to finish before it kills them. A `Recreate` service has no other
   * pod to hand over to, so its servers stop at once.
   */
  private stopGracefully(stopSeconds: number, handsOver: boolean): void {
    const drainSeconds = handsOver ? ENDPOINT_DRAIN_SECONDS : 0;
    const patches = [JsonPatch.add('/spec/template/spec/terminationGracePeriodSeconds', drainSeconds + stopSeconds + STOP_MARGIN_SECONDS)];
    if (handsOver) {
      patches.push(JsonPatch.add('/spec/template/spec/containers/0/lifecycle', { preStop: { exec: { command: ['sleep', String(drainSeconds)] } } }));
    }
    ApiObject.of(this.workload).addJsonPatch(...patches);
  }

  /**
   * K8: a HorizontalPodAutoscaler on CPU when `autoscaling` is on (it then owns the replica count,
   * so the Deployment states none and a new apply does not reset it); with more than one replica
   * possible, a PodDisruptionBudget that lets a drain evict one pod at a time, and the pods spread
   * over the nodes. One replica gets neither: a budget would then only block a drain, and there is
   * nothing to spread.
   */
  private scale(replicas: number, autoscaling: AutoscalingSpec | undefined): void {
    const selector = { matchLabels: selectorLabels(this.name) };
    const metadata = { name: this.name, labels: this.labels };
    if (autoscaling?.enabled) {
      ApiObject.of(this.workload).addJsonPatch(JsonPatch.remove('/spec/replicas'));
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
        metadata,
        spec: {
          scaleTargetRef: { apiVersion: this.workload.apiVersion, kind: this.workload.kind, name: this.workload.name },
          minReplicas: autoscaling.minReplicas,
          maxReplicas: autoscaling.maxReplicas,
          metrics: [{
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCpuUtilizationPercent } },
          }],
          behavior: { scaleDown: { stabilizationWindowSeconds: autoscaling.scaleDownStabilizationSeconds } },
        },
      });
    }
    const maxReplicas = autoscaling?.enabled ? autoscaling.maxReplicas : replicas;
    if (maxReplicas <= 1) return;
    new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata,
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector },
    });
    // ScheduleAnyway: a preference, so a single node (minikube) or a node drained away still runs every replica.
    ApiObject.of(this.workload).addJsonPatch(JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
    ]));
  }

  /** The in-cluster host name of this service: its Service's. */
  get host(): string {
    if (this.service === undefined) throw new Error(`${this.name} has no Service, so no host`);
    return this.name;
  }

  /** The in-cluster port of this service's first port (its Service port). */
  get port(): number {
    const port = this.ports[0];
    return port.servicePort ?? port.containerPort;
  }

  /** `<host>:<port>` inside the cluster, e.g. `mysql:3306`. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** The in-cluster URL of this service's first port, e.g. `http://influxdb:8086`. */
  url(scheme: 'http' | 'https'): string {
    return `${scheme}://${this.address}`;
  }

  /** Every metric the pods serve on METRICS_PORT, family by family, in declaration order. */
  get servedMetrics(): readonly PodMetric[] {
    return (this.podMetrics?.families ?? []).flatMap((family) => Object.values(family.metrics));
  }

  /** The panels of this service's own work, after its container's (none for a service without metrics of its own). */
  ownPanels(namespace: string): readonly PanelSpec[] {
    return [...familyPanels(this.name, this.podMetrics?.families ?? [], namespace), ...(this.panels?.(namespace) ?? [])];
  }

  /**
   * The pods serve their own metrics on METRICS_PORT for the scraper of their node (B10,
   * lib/monitoring/pod-metrics.ts): they are annotated for `inputs.prometheus`, and a
   * NetworkPolicy admits the scraper alone to that port. No Service carries the port (S4).
   * NetworkPolicies add up: a `clientsOnly` service keeps the chart's policy for its own ports;
   * any other service's own ports are opened to every source here, as they were before a policy
   * selected its pods.
   */
  private servePodMetrics(served: ServedPodMetrics): void {
    for (const [key, value] of Object.entries(scrapeAnnotations())) this.workload.podMetadata.addAnnotation(key, value);
    const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
    const ownPorts: k8s.NetworkPolicyIngressRule[] = this.clientsOnly
      ? []
      // No `from`: every source, as without a policy.
      : [{ ports: this.ports.map((port) => tcp(port.containerPort)) }];
    new k8s.KubeNetworkPolicy(this, 'MetricsPolicy', {
      metadata: { name: `${this.name}-metrics-from-${served.scrapedBy}`, labels: this.labels },
      spec: {
        podSelector: { matchLabels: selectorLabels(this.name) },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: selectorLabels(served.scrapedBy) } }], ports: [tcp(METRICS_PORT)] },
          ...ownPorts,
        ],
      },
    });
  }

  /** Mounted 0400: root's alone (the kubelet writes the files as uid 0; see srcs/common/hand-over). */
  private mountSecret(secret: SecretSpec, optional: boolean): void {
    const volume = kplus.Volume.fromSecret(this, `Secret${secret.name}`, kplus.Secret.fromSecretName(this, `Ref${secret.name}`, secret.name), {
      name: `secret-${secret.name}`,
      defaultMode: 0o400,
      optional,
    });
    this.container.mount(secretMountPath(secret), volume, { readOnly: true });
  }
}

/**
 * Every public Service asks for the one load-balancer address (S4). With MetalLB they share it
 * through the same `allow-shared-ip` key; MetalLB lets Services share an address when they have the
 * same key, different ports, and either `externalTrafficPolicy: Cluster` or the very same pods
 * (metallb website/content/usage/_index.md, "IP Address Sharing"). Cluster it is, which also keeps
 * an FTPS client's data connections and its control connection on one source address as vsftpd
 * sees them: vsftpd refuses a data connection from another address than the control connection's
 * unless `pasv_promiscuous` is on (vsftpd.conf(5)).
 *
 * With MetalLB no NodePort is allocated behind the address, so the address stays the only way in
 * (S4): in layer 2 mode "all traffic for a service IP goes to one node. From there, kube-proxy
 * spreads the traffic" (metallb website/content/concepts/layer2.md, v0.16.1) — to the address
 * itself, never through a NodePort (maintainer's answer in metallb issue 328). A cloud's load
 * balancer (`external`) often forwards to NodePorts, so there Kubernetes' default stays.
 */
function shareLoadBalancerAddress(service: kplus.Service, { address, mode }: { readonly address: string; readonly mode: string }): void {
  if (mode === 'metallb') {
    service.metadata.addAnnotation('metallb.io/allow-shared-ip', STACK_NAME);
    service.metadata.addAnnotation('metallb.io/address-pool', STACK_NAME);
    service.metadata.addAnnotation('metallb.io/loadBalancerIPs', address);
    ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/allocateLoadBalancerNodePorts', false));
  } else {
    ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/loadBalancerIp', address));
  }
  ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/externalTrafficPolicy', 'Cluster'));
}

/** The panels of the metrics families `service`'s pods serve, family by family. */
export function familyPanels(service: string, families: readonly PodMetrics[], namespace: string): PanelSpec[] {
  return families.flatMap((family) => family.panels(service, namespace));
}

function toProbe(check: HealthCheck, options: { periodSeconds: Duration; failureThreshold: number }): kplus.Probe {
  const common = { ...options, timeoutSeconds: Duration.seconds(5), initialDelaySeconds: Duration.seconds(0) };
  return check.kind === 'exec'
    ? kplus.Probe.fromCommand([...check.command], common)
    : kplus.Probe.fromHttpGet(check.path, {
      ...common,
      port: check.port,
      scheme: check.scheme === 'HTTPS' ? kplus.ConnectionScheme.HTTPS : kplus.ConnectionScheme.HTTP,
    });
}

