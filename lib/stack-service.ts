/**
 * StackService: what every service of this stack shares, decided once. A service file says only
 * what is special about it (ports, env, secrets, volume, health checks).
 *
 * cdk8s-plus defaults that would break this stack are overridden here, on purpose:
 * - hashed resource names → explicit names, so services are reachable as `mysql`, `influxdb`…;
 * - 2 replicas → 1 unless the config scales a stateless service (B7);
 * - `imagePullPolicy: Always` → `IfNotPresent`: images are built into the cluster, not pulled (S2);
 * - requests of 1 CPU / 512Mi → the config's per-service resources, which fit minikube (K5);
 * - `runAsNonRoot` + read-only root filesystem → root entrypoints that drop privileges themselves,
 *   as the official images do (the Pod Security Standard "baseline" still holds, B4);
 * - a 30-second TCP startup probe → a startup probe on the real health check with a first-boot
 *   allowance per service (a first-boot MySQL or WordPress install takes longer);
 * - the `cdk8s.io/metadata.addr` selector → `app.kubernetes.io/*` labels (K4).
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ServiceName, StackConfig, StatefulService, STATEFUL_SERVICES } from './config';
import { SecretSpec, secretMountPath, StackSecrets } from './secrets';

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
}

export type Exposure = 'LoadBalancer' | 'ClusterIP' | 'none';

/** What every service construct is given: the stack's configuration and its Secrets. */
export interface StackServiceContext {
  readonly config: StackConfig;
  readonly secrets: StackSecrets;
}

export interface StackServiceProps {
  readonly config: StackConfig;
  /** The service's name: its image, Deployment/DaemonSet, Service and container are all named so. */
  readonly name: ServiceName;
  /** `app.kubernetes.io/component`, e.g. `database`. */
  readonly component: string;
  /**
   * `daemonset` runs one pod per node (telegraf, K7).
   * @default 'deployment'
   */
  readonly workload?: 'deployment' | 'daemonset';
  readonly ports: readonly ContainerPort[];
  /**
   * How the ports are reachable: through the shared load-balancer address, inside the cluster only, or not at all.
   * @default 'ClusterIP'
   */
  readonly exposure?: Exposure;
  /** Environment variables: plain values, or EnvValues for Secret keys and pod fields. @default {} */
  readonly env?: Readonly<Record<string, string | number | kplus.EnvValue>>;
  /** Secrets mounted read-only at `/run/secrets/<name>/`. @default [] */
  readonly secrets?: readonly SecretSpec[];
  /** Secrets that may be absent (the image then falls back, e.g. generates a key). @default [] */
  readonly optionalSecrets?: readonly SecretSpec[];
  /** ConfigMaps mounted read-only as folders. @default [] */
  readonly configFolders?: ReadonlyArray<{ readonly path: string; readonly configMap: kplus.ConfigMap }>;
  /**
   * Where the service's PersistentVolumeClaim (`<name>-data`) is mounted; only services listed in
   * STATEFUL_SERVICES own one, and they run as one pod with the `Recreate` strategy (K6).
   * @default no volume
   */
  readonly dataPath?: string;
  readonly liveness: HealthCheck;
  /** @default the liveness check */
  readonly readiness?: HealthCheck;
  /**
   * How long the first start may take before the liveness probe counts (first-boot initialisation).
   * @default 60
   */
  readonly firstBootSeconds?: number;
  /** @default 1 */
  readonly replicas?: number;
  /** For services that call the Kubernetes API or the kubelet. @default none, and no token is mounted */
  readonly serviceAccount?: kplus.IServiceAccount;
}

/** Seconds between two startup-probe attempts. */
const STARTUP_PERIOD_SECONDS = 5;

/** The labels every object of a service carries (K4). */
export function serviceLabels(config: StackConfig, name: ServiceName, component: string): Record<string, string> {
  return {
    ...selectorLabels(name),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': STACK_NAME,
    'app.kubernetes.io/managed-by': 'cdk8s',
    'app.kubernetes.io/version': imageTag(config, name),
  };
}

/** The labels that select exactly one service's pods. */
export function selectorLabels(name: ServiceName): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': STACK_NAME };
}

export function imageTag(config: StackConfig, name: ServiceName): string {
  return config.images.tags[name] ?? config.images.tag;
}

/** `<registry><service>:<tag>`: images are named after their service (S2). */
export function imageName(config: StackConfig, name: ServiceName): string {
  return `${config.images.registry}${name}:${imageTag(config, name)}`;
}

export class StackService extends Construct {
  readonly name: ServiceName;
  readonly workload: kplus.Deployment | kplus.DaemonSet;
  readonly container: kplus.Container;
  /** The Service in front of the pods, when the ports are exposed. */
  readonly service?: kplus.Service;
  readonly claim?: k8s.KubePersistentVolumeClaim;
  /** The ports, as given. */
  readonly ports: readonly ContainerPort[];

  constructor(scope: Construct, id: string, props: StackServiceProps) {
    super(scope, id);
    const { config, name } = props;
    this.name = name;
    this.ports = props.ports;
    const labels = serviceLabels(config, name, props.component);
    const metadata = { name, labels };
    const replicas = props.replicas ?? 1;
    const stateful = props.dataPath !== undefined;

    if (stateful && !(STATEFUL_SERVICES as readonly string[]).includes(name)) {
      throw new Error(`${name}: dataPath is set, but ${name} is not in STATEFUL_SERVICES (${STATEFUL_SERVICES.join(', ')})`);
    }
    if (stateful && replicas !== 1) throw new Error(`${name}: replicas is ${replicas}; allowed: 1 for a service with a ReadWriteOnce volume`);

    const podProps = {
      metadata,
      podMetadata: { labels },
      select: false,
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: props.serviceAccount !== undefined,
      securityContext: { ensureNonRoot: false },
    };
    this.workload = props.workload === 'daemonset'
      ? new kplus.DaemonSet(this, 'Workload', podProps)
      : new kplus.Deployment(this, 'Workload', {
        ...podProps,
        replicas,
        strategy: stateful ? kplus.DeploymentStrategy.recreate() : undefined,
      });
    this.workload.select(kplus.LabelSelector.of({ labels: selectorLabels(name) }));
    // cdk8s-plus has no typed field for these; JSON patches use its TypeScript key spelling.
    ApiObject.of(this.workload).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      // cdk8s-plus labels every pod with its construct path; our selectors use app.kubernetes.io/* only.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    );
    if (props.workload !== 'daemonset') ApiObject.of(this.workload).addJsonPatch(JsonPatch.add('/spec/revisionHistoryLimit', 3));

    const resources = config.resources[name];
    const liveness = props.liveness;
    const readiness = props.readiness ?? liveness;
    this.container = this.workload.addContainer({
      name,
      image: imageName(config, name),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: props.ports.map((port) => ({ name: port.name, number: port.containerPort })),
      envVariables: Object.fromEntries(Object.entries(props.env ?? {}).map(([key, value]) =>
        [key, value instanceof kplus.EnvValue ? value : kplus.EnvValue.fromValue(String(value))])),
      resources: {
        cpu: { request: kplus.Cpu.millis(resources.cpuRequestMillis), limit: kplus.Cpu.millis(resources.cpuLimitMillis) },
        memory: { request: Size.mebibytes(resources.memoryRequestMebibytes), limit: Size.mebibytes(resources.memoryLimitMebibytes) },
      },
      securityContext: {
        ensureNonRoot: false,
        readOnlyRootFilesystem: false,
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

    for (const secret of props.secrets ?? []) this.mountSecret(secret, false);
    for (const secret of props.optionalSecrets ?? []) this.mountSecret(secret, true);
    for (const folder of props.configFolders ?? []) {
      const volume = kplus.Volume.fromConfigMap(this, `Config${folder.configMap.name}`, folder.configMap, { name: folder.configMap.name });
      this.container.mount(folder.path, volume, { readOnly: true });
    }

    if (props.dataPath !== undefined) {
      // The L1 class: cdk8s-plus serializes a claim's size as whole Gi only, so 256Mi would not synth.
      this.claim = new k8s.KubePersistentVolumeClaim(this, 'Data', {
        metadata: { name: `${name}-data`, labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(config.storage.sizes[name as StatefulService]) } },
          storageClassName: config.storage.storageClass,
        },
      });
      const claim = kplus.PersistentVolumeClaim.fromClaimName(this, 'DataClaim', this.claim.name);
      this.container.mount(props.dataPath, kplus.Volume.fromPersistentVolumeClaim(this, 'DataVolume', claim, { name: 'data' }));
    }

    const exposure = props.exposure ?? 'ClusterIP';
    if (exposure !== 'none') {
      this.service = new kplus.Service(this, 'Service', {
        metadata,
        type: exposure === 'LoadBalancer' ? kplus.ServiceType.LOAD_BALANCER : kplus.ServiceType.CLUSTER_IP,
        ports: props.ports.map((port) => ({ name: port.name, port: port.servicePort ?? port.containerPort, targetPort: port.containerPort })),
      });
      for (const [key, value] of Object.entries(selectorLabels(name))) this.service.selectLabel(key, value);
      if (exposure === 'LoadBalancer') shareLoadBalancerAddress(this.service, config);
    }
  }

  /** `<service>:<port>` of this service's first port inside the cluster, e.g. `mysql:3306`. */
  get address(): string {
    if (this.service === undefined) throw new Error(`${this.name} has no Service, so no address`);
    const port = this.ports[0];
    return `${this.name}:${port.servicePort ?? port.containerPort}`;
  }

  /** The in-cluster URL of this service's first port, e.g. `http://influxdb:8086`. */
  url(scheme: 'http' | 'https'): string {
    return `${scheme}://${this.address}`;
  }

  private mountSecret(secret: SecretSpec, optional: boolean): void {
    const volume = kplus.Volume.fromSecret(this, `Secret${secret.name}`, kplus.Secret.fromSecretName(this, `Ref${secret.name}`, secret.name), {
      name: `secret-${secret.name}`,
      // Read-only for every user of the container: entrypoints drop to the service's own user,
      // which may read its secret itself (e.g. Grafana's $__file{} provisioning).
      defaultMode: 0o444,
      optional,
    });
    this.container.mount(secretMountPath(secret), volume, { readOnly: true });
  }
}

/**
 * Every public Service asks for the one load-balancer address (S4). With MetalLB they share it
 * through the same `allow-shared-ip` key; sharing needs `externalTrafficPolicy: Cluster` (pitfall 2),
 * which also keeps FTPS data connections coming from the same address as the control connection
 * (pitfall 4).
 */
function shareLoadBalancerAddress(service: kplus.Service, config: StackConfig): void {
  const address = config.loadBalancer.address;
  if (config.loadBalancer.mode === 'metallb') {
    service.metadata.addAnnotation('metallb.io/allow-shared-ip', STACK_NAME);
    service.metadata.addAnnotation('metallb.io/address-pool', STACK_NAME);
    service.metadata.addAnnotation('metallb.io/loadBalancerIPs', address);
  } else {
    ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/loadBalancerIp', address));
  }
  ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/externalTrafficPolicy', 'Cluster'));
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

