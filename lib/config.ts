/**
 * The typed stack configuration (requirements B1, B7, K3): every value a user may tune, with
 * defaults that work on minikube, validated before anything is synthesized.
 */

/** Every service of the stack, in the order they are described to users. */
export const SERVICE_NAMES = ['nginx', 'wordpress', 'mysql', 'phpmyadmin', 'ftps', 'grafana', 'influxdb', 'telegraf'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Services that keep no state of their own in the pod, so more than one replica is safe. */
export const SCALABLE_SERVICES = ['nginx', 'phpmyadmin'] as const;
export type ScalableService = (typeof SCALABLE_SERVICES)[number];

/** Services that own a volume (ReadWriteOnce, so exactly one pod). */
export const STATEFUL_SERVICES = ['wordpress', 'mysql', 'ftps', 'grafana', 'influxdb'] as const;
export type StatefulService = (typeof STATEFUL_SERVICES)[number];

/** The PersistentVolumeClaim of a stateful service's volume (STATEFUL_SERVICES). */
export function dataClaimName(service: ServiceName): string {
  return `${service}-data`;
}

/** Services that run one pod on every node, as a DaemonSet (K7); the others are Deployments. */
export const DAEMONSET_SERVICES = ['telegraf'] as const;
export type DaemonSetService = (typeof DAEMONSET_SERVICES)[number];

/**
 * The MySQL account the mysql pod reads its own server status with (B10): the image creates it
 * with no privilege, reachable from the pod's loopback only. `mysql.user` may not take its name.
 */
export const MYSQL_METRICS_USER = 'metrics';

export const WORDPRESS_ROLES = ['administrator', 'editor', 'author', 'contributor', 'subscriber'] as const;
export type WordPressRole = (typeof WORDPRESS_ROLES)[number];

export type LoadBalancerMode = 'metallb' | 'external';

export interface WordPressUser {
  /** Login name; also the key of this user's password in the `wordpress-users` Secret. */
  readonly login: string;
  readonly role: WordPressRole;
  readonly email: string;
}

/**
 * A HorizontalPodAutoscaler on CPU for a stateless front (K8). It needs a metrics server: `./setup.sh`
 * enables minikube's `metrics-server` add-on when any service has it on.
 */
export interface AutoscalingSpec {
  /**
   * Whether the chart makes a HorizontalPodAutoscaler for the service, which then sets its replica
   * count (`replicas.<service>` is not used), and `./setup.sh` enables minikube's metrics-server.
   * @default false
   */
  readonly enabled: boolean;
  /** The fewest replicas the autoscaler keeps. @default 1 */
  readonly minReplicas: number;
  /** The most replicas the autoscaler runs; above one, the chart adds a PodDisruptionBudget and spreading. @default 3 */
  readonly maxReplicas: number;
  /**
   * The average CPU use the autoscaler keeps the pods at, in percent of the container's CPU request
   * (`resources.<service>.cpuRequestMillis`). @default 70
   */
  readonly targetCpuUtilizationPercent: number;
  /**
   * How long the autoscaler keeps the highest replica count it computed before it scales down
   * (`behavior.scaleDown.stabilizationWindowSeconds`, Kubernetes' default 300). @default 300
   */
  readonly scaleDownStabilizationSeconds: number;
}

/** The most replicas of a scalable service, set by hand or reached by its autoscaler. */
export const MAX_REPLICAS = 10;

/** The longest scale-down stabilization window the API server accepts (autoscaling/v2 validation). */
export const MAX_STABILIZATION_SECONDS = 3600;

/** CPU in millicores, memory and ephemeral storage in MiB. */
export interface ResourceSpec {
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryRequestMebibytes: number;
  readonly memoryLimitMebibytes: number;
  /**
   * Local disk the scheduler reserves for the container (B15): what the kubelet counts as its
   * ephemeral storage, its writable root filesystem and its logs, and the pod's emptyDir volumes.
   */
  readonly ephemeralStorageRequestMebibytes: number;
  /**
   * The most local disk the container may use: past it the kubelet evicts the pod, so one runaway
   * writer cannot fill the node's disk and get every pod evicted.
   */
  readonly ephemeralStorageLimitMebibytes: number;
}

/** Each request with the limit that may not be below it, as ResourceSpec names them. */
export const RESOURCE_PAIRS = [
  ['cpuRequestMillis', 'cpuLimitMillis'],
  ['memoryRequestMebibytes', 'memoryLimitMebibytes'],
  ['ephemeralStorageRequestMebibytes', 'ephemeralStorageLimitMebibytes'],
] as const satisfies ReadonlyArray<readonly [keyof ResourceSpec, keyof ResourceSpec]>;

export interface StackConfig {
  /**
   * The one namespace of the stack (K4).
   * @default 'ft-services'
   */
  readonly namespace: string;
  readonly loadBalancer: {
    /**
     * `metallb`: the chart emits a one-address MetalLB pool and every public Service shares it.
     * `external`: the cluster's own load balancer (a cloud's) assigns addresses; no MetalLB objects.
     * @default 'metallb'
     */
    readonly mode: LoadBalancerMode;
    /**
     * The one public IPv4 address: MetalLB's one-address pool, or with `external` the address requested
     * as every Service's `loadBalancerIP`. FTPS advertises it for passive data connections.
     * `./setup.sh` picks it inside minikube's network.
     * @default '192.168.49.240'
     */
    readonly address: string;
  };
  /** Public ports on the load-balancer address. */
  readonly ports: {
    /** nginx over HTTP: a 301 to https. @default 80 */ readonly http: number;
    /** nginx over HTTPS (the index, /wordpress, /phpmyadmin/). @default 443 */ readonly https: number;
    /** SSH into the nginx container. @default 22 */ readonly ssh: number;
    /** WordPress over HTTPS. @default 5050 */ readonly wordpress: number;
    /** phpMyAdmin over HTTPS. @default 5000 */ readonly phpmyadmin: number;
    /** FTPS control connection (explicit TLS). @default 21 */ readonly ftps: number;
    /** Grafana over HTTPS. @default 3000 */ readonly grafana: number;
  };
  readonly ftps: {
    /** The FTPS login. @default 'ftpuser' */
    readonly user: string;
    /**
     * Passive data ports; each one becomes a Service port, so keep the range small. It must lie
     * outside Kubernetes' NodePort range (NODE_PORT_RANGE): a port there may be a NodePort as well.
     * @default { min: 21100, max: 21104 }
     */
    readonly passivePorts: { readonly min: number; readonly max: number };
  };
  readonly ssh: {
    /** The account for SSH into the nginx container. @default 'ftadmin' */
    readonly user: string;
  };
  readonly images: {
    /**
     * Prepended to every image name: empty for images built into the cluster's own store, or a
     * registry path ending in `/` (e.g. `registry.example.com/ft/`).
     * @default ''
     */
    readonly registry: string;
    /** Tag of every image unless `tags` names another. Never `latest`. @default '0.1.0' */
    readonly tag: string;
    /** Per-service tags (`./setup.sh` sets content hashes here). @default {} */
    readonly tags: Readonly<Partial<Record<ServiceName, string>>>;
  };
  readonly storage: {
    /** StorageClass of every volume; unset means the cluster's default class. @default undefined */
    readonly storageClass?: string;
    /** Requested size of each volume. @default mysql 1Gi, wordpress 1Gi, ftps 1Gi, influxdb 1Gi, grafana 256Mi */
    readonly sizes: Readonly<Record<StatefulService, string>>;
  };
  /**
   * Replicas of the services that can scale. With more than one, the chart adds a PodDisruptionBudget
   * and spreads the pods over the nodes (K8). @default 1 each
   */
  readonly replicas: Readonly<Record<ScalableService, number>>;
  /**
   * Opt-in autoscaling of the services that can scale, on CPU (K8).
   * @default off for each, with 1 to 3 replicas at 70% of the CPU request and a 300 s scale-down window when enabled
   */
  readonly autoscaling: Readonly<Record<ScalableService, AutoscalingSpec>>;
  readonly wordpress: {
    /** The site title. @default 'ft_services' */
    readonly title: string;
    /**
     * Users created at first boot: at least one administrator and two other users of different roles.
     * @default admin (administrator), editor (editor), author (author)
     */
    readonly users: readonly WordPressUser[];
  };
  readonly mysql: {
    /** The database WordPress uses. @default 'wordpress' */ readonly database: string;
    /** The account WordPress uses (and a phpMyAdmin login). @default 'wordpress' */ readonly user: string;
  };
  readonly influxdb: {
    /** The database telegraf writes and Grafana reads. @default 'telegraf' */ readonly database: string;
    /** The administrator account. @default 'admin' */ readonly adminUser: string;
    /** The account telegraf writes with. @default 'telegraf' */ readonly writeUser: string;
    /** The account Grafana reads with. @default 'grafana' */ readonly readUser: string;
    /**
     * Days the database keeps its points (the duration of its default retention policy): the
     * metrics of a week fit the volume, and older points are deleted. Applied at every start.
     * @default 7
     */
    readonly retentionDays: number;
  };
  readonly grafana: {
    /** The Grafana administrator login. @default 'admin' */ readonly adminUser: string;
  };
  readonly telegraf: {
    /**
     * The ports the API server listens on at its own address, where the `kubernetes` Service's 443
     * leads: telegraf's egress policy opens them (B8), since a NetworkPolicy sees a connection after
     * kube-proxy's DNAT. minikube's API server listens on 8443, kubeadm's (and CI's cluster's) on 6443.
     * @default [8443, 6443]
     */
    readonly apiServerPorts: readonly number[];
  };
  /**
   * Requests and limits of each service's container (K5): CPU, memory, and ephemeral storage (B15:
   * its writable layer, its logs and the pod's emptyDir volumes; past the limit the kubelet evicts
   * the pod and its workload starts a new one). The defaults fit minikube's smallest VM and were
   * measured on a real cluster (the sizes' reasons are in lib/config.ts).
   * @default see DEFAULT_CONFIG.resources
   */
  readonly resources: Readonly<Record<ServiceName, ResourceSpec>>;
  /**
   * A checksum of each Secret's contents, by Secret name. Every pod template that mounts the Secret
   * carries it as an annotation, so pods roll when the Secret changes (e.g. a new certificate).
   * `./setup.sh` computes it from the credentials it holds; leave it unset.
   * @default {}
   */
  readonly secretChecksums: Readonly<Record<string, string>>;
}

/** A partial configuration, as read from a user's JSON file: nested objects merge, arrays replace. */
export type StackConfigOverrides = DeepPartial<StackConfig>;
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Requests and limits as [request, limit] pairs: CPU in millicores, memory and ephemeral storage in MiB. */
function resources(cpu: readonly [number, number], memory: readonly [number, number], ephemeralStorage: readonly [number, number]): ResourceSpec {
  return {
    cpuRequestMillis: cpu[0], cpuLimitMillis: cpu[1],
    memoryRequestMebibytes: memory[0], memoryLimitMebibytes: memory[1],
    ephemeralStorageRequestMebibytes: ephemeralStorage[0], ephemeralStorageLimitMebibytes: ephemeralStorage[1],
  };
}

function autoscalingOff(): AutoscalingSpec {
  return { enabled: false, minReplicas: 1, maxReplicas: 3, targetCpuUtilizationPercent: 70, scaleDownStabilizationSeconds: 300 };
}

export const DEFAULT_CONFIG: StackConfig = {
  namespace: 'ft-services',
  loadBalancer: { mode: 'metallb', address: '192.168.49.240' },
  ports: { http: 80, https: 443, ssh: 22, wordpress: 5050, phpmyadmin: 5000, ftps: 21, grafana: 3000 },
  ftps: { user: 'ftpuser', passivePorts: { min: 21100, max: 21104 } },
  ssh: { user: 'ftadmin' },
  images: { registry: '', tag: '0.1.0', tags: {} },
  storage: { sizes: { mysql: '1Gi', wordpress: '1Gi', ftps: '1Gi', influxdb: '1Gi', grafana: '256Mi' } },
  replicas: { nginx: 1, phpmyadmin: 1 },
  autoscaling: { nginx: autoscalingOff(), phpmyadmin: autoscalingOff() },
  wordpress: {
    title: 'ft_services',
    users: [
      { login: 'admin', role: 'administrator', email: 'admin@ft-services.local' },
      { login: 'editor', role: 'editor', email: 'editor@ft-services.local' },
      { login: 'author', role: 'author', email: 'author@ft-services.local' },
    ],
  },
  mysql: { database: 'wordpress', user: 'wordpress' },
  influxdb: { database: 'telegraf', adminUser: 'admin', writeUser: 'telegraf', readUser: 'grafana', retentionDays: 7 },
  grafana: { adminUser: 'admin' },
  telegraf: { apiServerPorts: [8443, 6443] },
  // Ephemeral storage (B15), [request, limit] in MiB. Measured on the CI cluster (test/cluster/
  // stack.test.ts prints each container's figures into figures.md): after ./setup.sh check and 300
  // page loads of each site, every writable layer plus its logs was under 0.3 MiB, phpMyAdmin's
  // 1.6 MiB (a session file per visit). Requests: that with margin, and the 10Mi of logs a
  // long-running container reaches before the kubelet rotates them; phpMyAdmin 32Mi for sessions.
  // Limits: the request, 48Mi for the logs the kubelet keeps (it rotates at 10Mi and keeps 5 files,
  // the older gzipped: about 24Mi, twice that for bursts between its 10-second checks), and the
  // largest write the service makes when used as meant: a 32 MiB upload (client_max_body_size,
  // upload_max_filesize) is buffered by nginx in its temp folder and again by PHP in its own, two
  // such uploads at once through the front nginx; MariaDB sorts and builds on-disk temporary
  // tables in /tmp.
  resources: {
    nginx: resources([50, 300], [32, 128], [16, 128]),
    wordpress: resources([100, 500], [128, 384], [16, 128]),
    mysql: resources([100, 500], [256, 512], [16, 256]),
    phpmyadmin: resources([50, 300], [64, 256], [32, 144]),
    ftps: resources([20, 200], [16, 64], [16, 64]),
    // Grafana documents 512 MB of memory and 1 CPU as its minimum (grafana.com/docs/grafana/latest/
    // setup-grafana/installation/): the request reserves it, the CPU limit lets its start use a core.
    grafana: resources([50, 1000], [512, 768], [16, 64]),
    influxdb: resources([50, 500], [128, 384], [16, 64]),
    telegraf: resources([30, 200], [48, 128], [16, 64]),
  },
  secretChecksums: {},
};

/** Thrown when a configuration value is not allowed; the message names the field, the value and what is allowed. */
export class StackConfigError extends Error {
  constructor(readonly field: string, readonly value: unknown, readonly allowed: string) {
    super(`stack config: ${field} is ${JSON.stringify(value)}; allowed: ${allowed}`);
    this.name = 'StackConfigError';
  }
}

/** Merges each of `overrides`, in order, over the defaults and validates the result (B1). */
export function resolveStackConfig(...overrides: StackConfigOverrides[]): StackConfig {
  const config = overrides.reduce<unknown>((merged, override) => merge(merged, override, ''), DEFAULT_CONFIG) as StackConfig;
  validateStackConfig(config);
  return config;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Overrides may only name fields the configuration has, so a typo is an error, not a silent no-op.
 * These are the maps whose keys are free and the optional fields the defaults leave unset.
 */
const OPEN_MAPS = new Set(['images.tags', 'secretChecksums']);
const OPTIONAL_FIELDS = new Set(['storage.storageClass']);

/** The JSON type of a value, as a user reads it in a message. */
function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (isPlainObject(value)) return 'an object';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'true or false' : typeof value;
}

/** How many single-character edits turn `a` into `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** The known name closest to `name`, when it is close enough to be a typo (at most a third of it changed). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const ranked = known.map((candidate) => ({ candidate, distance: editDistance(name.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  return best !== undefined && best.distance <= Math.max(1, Math.floor(name.length / 3)) ? best.candidate : undefined;
}

function merge(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  // The defaults give every field its type; an optional field (no default) is checked by validateStackConfig.
  if (base !== undefined && path !== '' && jsonType(base) !== jsonType(override)) throw new StackConfigError(path, override, jsonType(base));
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const field = path ? `${path}.${key}` : key;
    if (!(key in base) && !OPEN_MAPS.has(path) && !OPTIONAL_FIELDS.has(field)) {
      const known = Object.keys(base);
      const guess = closestName(key, known);
      throw new StackConfigError(field, value, `one of the known fields: ${known.join(', ')}${guess === undefined ? '' : ` (did you mean "${guess}"?)`}`);
    }
    result[key] = merge(base[key], value, field);
  }
  return result;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const POSIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * The accounts and groups that already exist in our Alpine 3.22 images (B11). The nginx and ftps
 * entrypoints create the SSH and FTPS user with busybox `adduser NAME`, which fails ("group 'NAME'
 * in use") for the name of an existing group, and a name equal to a system user would silently put
 * the password on that account. From Alpine's aports at the "release 3.22.0" commit:
 * main/alpine-baselayout `passwd` and `group`, and the pre-install scripts of the packages our
 * images install (nginx, mariadb: mysql, vsftpd: vsftp, grafana, telegraf); our InfluxDB image
 * adds influxdb.
 */
export const IMAGE_ACCOUNT_NAMES: readonly string[] = [
  // alpine-baselayout passwd
  'root', 'bin', 'daemon', 'adm', 'lp', 'sync', 'shutdown', 'halt', 'mail', 'news', 'uucp', 'cron', 'ftp', 'sshd', 'games',
  'guest', 'nobody',
  // alpine-baselayout group (the names that are not also users)
  'sys', 'tty', 'disk', 'kmem', 'wheel', 'floppy', 'audio', 'cdrom', 'dialout', 'input', 'tape', 'video', 'netdev', 'kvm',
  'shadow', 'www-data', 'users', 'ping', 'utmp', 'nogroup', 'abuild',
  // packages' pre-install scripts, and our InfluxDB image
  'nginx', 'mysql', 'vsftp', 'grafana', 'telegraf', 'influxdb',
];
const WORDPRESS_LOGIN = /^[a-z0-9_.@-]{1,60}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const QUANTITY = /^[1-9][0-9]*(Mi|Gi)$/;
const REGISTRY = /^([a-z0-9]([a-z0-9.:_-]*[a-z0-9])?(\/[a-z0-9._-]+)*\/)?$/;

/** An IPv4 address in dotted-quad form, each part 0–255 without leading zeros. */
export function isIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

/** Every public port the load-balancer address serves, with the field that sets it. */
export function publicPorts(config: StackConfig): ReadonlyArray<{ field: string; port: number }> {
  const ports = Object.entries(config.ports).map(([name, port]) => ({ field: `ports.${name}`, port }));
  const { min, max } = config.ftps.passivePorts;
  for (let port = min; port <= max; port++) ports.push({ field: 'ftps.passivePorts', port });
  return ports;
}

/** The longest InfluxDB retention accepted: ten years. */
export const MAX_RETENTION_DAYS = 3650;

/** The most passive ports allowed: each is a Service port, and MetalLB's speaker watches them all. */
export const MAX_PASSIVE_PORTS = 20;

/**
 * Kubernetes' default NodePort range (kube-apiserver `--service-node-port-range`, which minikube
 * leaves at its default). A passive port inside it could also be some Service's NodePort on every
 * node, a second way in (S4).
 */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

function validateStackConfig(config: StackConfig): void {
  const fail = (field: string, value: unknown, allowed: string): never => { throw new StackConfigError(field, value, allowed); };

  if (!DNS_LABEL.test(config.namespace)) fail('namespace', config.namespace, 'a DNS-1123 label (lower-case letters, digits and "-", at most 63)');

  const lb = config.loadBalancer;
  if (lb.mode !== 'metallb' && lb.mode !== 'external') fail('loadBalancer.mode', lb.mode, '"metallb" or "external"');
  if (typeof lb.address !== 'string' || !isIPv4(lb.address)) fail('loadBalancer.address', lb.address, 'an IPv4 address such as 192.168.49.240');

  for (const [name, port] of Object.entries(config.ports)) {
    if (!isPort(port)) fail(`ports.${name}`, port, 'an integer from 1 to 65535');
  }
  const { min, max } = config.ftps.passivePorts;
  if (!isPort(min)) fail('ftps.passivePorts.min', min, 'an integer from 1 to 65535');
  if (!isPort(max)) fail('ftps.passivePorts.max', max, 'an integer from 1 to 65535');
  if (max < min) fail('ftps.passivePorts.max', max, `a port not below ftps.passivePorts.min (${min})`);
  if (max - min + 1 > MAX_PASSIVE_PORTS) fail('ftps.passivePorts', { min, max }, `a range of at most ${MAX_PASSIVE_PORTS} ports (each one is a Service port)`);
  if (min <= NODE_PORT_RANGE.max && max >= NODE_PORT_RANGE.min) {
    fail('ftps.passivePorts', { min, max }, `a range outside the NodePort range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max} (S4: no second way in), e.g. 21100-21104`);
  }
  const seen = new Map<number, string>();
  for (const { field, port } of publicPorts(config)) {
    const other = seen.get(port);
    if (other !== undefined) fail(field, port, `a port no other service uses (${other} has it already)`);
    seen.set(port, field);
  }

  const notAnImageAccount = 'not the name of an account or group the Alpine images already have (root, daemon, ftp, sshd, nobody, nginx, users, www-data, wheel…)';
  if (!POSIX_USER.test(config.ftps.user)) fail('ftps.user', config.ftps.user, 'a POSIX user name (lower-case letter or "_", then letters, digits, "_" or "-", at most 32)');
  if (IMAGE_ACCOUNT_NAMES.includes(config.ftps.user)) fail('ftps.user', config.ftps.user, `a POSIX user name ${notAnImageAccount}`);
  if (!POSIX_USER.test(config.ssh.user) || IMAGE_ACCOUNT_NAMES.includes(config.ssh.user)) fail('ssh.user', config.ssh.user, `a POSIX user name ${notAnImageAccount}`);

  if (!REGISTRY.test(config.images.registry)) fail('images.registry', config.images.registry, 'empty, or a registry path ending in "/" (e.g. "registry.example.com/ft/")');
  const tags: Array<[string, unknown]> = [['images.tag', config.images.tag], ...Object.entries(config.images.tags).map(([service, tag]): [string, unknown] => [`images.tags.${service}`, tag])];
  for (const [field, tag] of tags) {
    if (typeof tag !== 'string' || !IMAGE_TAG.test(tag) || tag === 'latest') fail(field, tag, 'a Docker tag (letters, digits, "_", "." or "-", at most 128) other than "latest"');
  }
  for (const service of Object.keys(config.images.tags)) {
    if (!(SERVICE_NAMES as readonly string[]).includes(service)) fail(`images.tags.${service}`, config.images.tags[service as ServiceName], `a tag for one of ${SERVICE_NAMES.join(', ')}`);
  }

  if (config.storage.storageClass !== undefined && (typeof config.storage.storageClass !== 'string' || !DNS_SUBDOMAIN.test(config.storage.storageClass))) {
    fail('storage.storageClass', config.storage.storageClass, 'a StorageClass name (DNS subdomain)');
  }
  for (const service of STATEFUL_SERVICES) {
    const size = config.storage.sizes[service];
    if (typeof size !== 'string' || !QUANTITY.test(size)) fail(`storage.sizes.${service}`, size, 'a whole number of Mi or Gi, such as 512Mi or 1Gi');
  }

  for (const service of SCALABLE_SERVICES) {
    const replicas = config.replicas[service];
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) fail(`replicas.${service}`, replicas, `an integer from 1 to ${MAX_REPLICAS}`);
  }

  validateWordPress(config, fail);

  for (const [field, value] of [['mysql.database', config.mysql.database], ['mysql.user', config.mysql.user], ['influxdb.database', config.influxdb.database],
    ['influxdb.adminUser', config.influxdb.adminUser], ['influxdb.writeUser', config.influxdb.writeUser], ['influxdb.readUser', config.influxdb.readUser],
    ['grafana.adminUser', config.grafana.adminUser]] as const) {
    if (!/^[a-z_][a-z0-9_]{0,31}$/.test(value)) fail(field, value, 'a name of lower-case letters, digits and "_", starting with a letter or "_", at most 32');
  }
  const { retentionDays } = config.influxdb;
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    fail('influxdb.retentionDays', retentionDays, `a whole number of days from 1 to ${MAX_RETENTION_DAYS}`);
  }
  if (config.mysql.user === 'root' || config.mysql.user === MYSQL_METRICS_USER) {
    fail('mysql.user', config.mysql.user, `a user other than root and ${MYSQL_METRICS_USER} (both stay local to the database)`);
  }

  const { apiServerPorts } = config.telegraf;
  if (!Array.isArray(apiServerPorts) || apiServerPorts.length === 0 || !apiServerPorts.every(isPort)) {
    fail('telegraf.apiServerPorts', apiServerPorts, 'a list of one or more ports from 1 to 65535, those of the API server\'s endpoints (kubectl get endpoints kubernetes -n default), e.g. [8443] on minikube');
  }

  for (const [secret, checksum] of Object.entries(config.secretChecksums)) {
    if (!DNS_LABEL.test(secret)) fail(`secretChecksums.${secret}`, checksum, 'a checksum keyed by a Secret name (DNS-1123 label)');
    if (typeof checksum !== 'string' || !/^[0-9a-f]{8,64}$/.test(checksum)) fail(`secretChecksums.${secret}`, checksum, '8 to 64 lower-case hex digits');
  }

  for (const service of SERVICE_NAMES) {
    const spec = config.resources[service];
    const field = `resources.${service}`;
    if (spec === undefined) fail(field, spec, 'requests and limits for every service');
    for (const [key, value] of Object.entries(spec)) {
      if (!Number.isInteger(value) || value <= 0) fail(`${field}.${key}`, value, 'a positive integer');
    }
    for (const [request, limit] of RESOURCE_PAIRS) {
      if (spec[limit] < spec[request]) fail(`${field}.${limit}`, spec[limit], `at least ${request} (${spec[request]})`);
    }
  }
  // After the resources: the CPU target is checked against them.
  for (const service of SCALABLE_SERVICES) validateAutoscaling(config, service, fail);
}

function validateAutoscaling(config: StackConfig, service: ScalableService, fail: (field: string, value: unknown, allowed: string) => never): void {
  const spec = config.autoscaling[service];
  const field = `autoscaling.${service}`;
  if (typeof spec.enabled !== 'boolean') fail(`${field}.enabled`, spec.enabled, 'true or false');
  const { minReplicas, maxReplicas, targetCpuUtilizationPercent: target, scaleDownStabilizationSeconds: window } = spec;
  if (!Number.isInteger(minReplicas) || minReplicas < 1 || minReplicas > MAX_REPLICAS) fail(`${field}.minReplicas`, minReplicas, `an integer from 1 to ${MAX_REPLICAS}`);
  if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas || maxReplicas > MAX_REPLICAS) {
    fail(`${field}.maxReplicas`, maxReplicas, `an integer from minReplicas (${minReplicas}) to ${MAX_REPLICAS}`);
  }
  // The use is measured against the request and capped by the limit: a higher target is never reached.
  const { cpuRequestMillis, cpuLimitMillis } = config.resources[service];
  const reachable = Math.floor((cpuLimitMillis / cpuRequestMillis) * 100);
  if (!Number.isInteger(target) || target < 1 || target > reachable) {
    fail(`${field}.targetCpuUtilizationPercent`, target, `an integer percent of the CPU request from 1 to ${reachable} (resources.${service}: the CPU limit is ${cpuLimitMillis}m, the request ${cpuRequestMillis}m)`);
  }
  if (!Number.isInteger(window) || window < 0 || window > MAX_STABILIZATION_SECONDS) {
    fail(`${field}.scaleDownStabilizationSeconds`, window, `a whole number of seconds from 0 to ${MAX_STABILIZATION_SECONDS}`);
  }
}

/** Whether any service has its autoscaler on, so the cluster needs a metrics server. */
export function autoscalingEnabled(config: StackConfig): boolean {
  return SCALABLE_SERVICES.some((service) => config.autoscaling[service].enabled);
}

function validateWordPress(config: StackConfig, fail: (field: string, value: unknown, allowed: string) => never): void {
  const users = config.wordpress.users;
  if (config.wordpress.title.trim() === '') fail('wordpress.title', config.wordpress.title, 'a non-empty site title');
  if (!Array.isArray(users) || users.length === 0) fail('wordpress.users', users, 'a non-empty list of users');
  const logins = new Set<string>();
  users.forEach((user, index) => {
    const field = `wordpress.users[${index}]`;
    if (!WORDPRESS_LOGIN.test(user.login)) fail(`${field}.login`, user.login, 'lower-case letters, digits, "_", ".", "@" or "-", at most 60');
    if (logins.has(user.login)) fail(`${field}.login`, user.login, 'a login no other user has');
    logins.add(user.login);
    if (!(WORDPRESS_ROLES as readonly string[]).includes(user.role)) fail(`${field}.role`, user.role, `one of ${WORDPRESS_ROLES.join(', ')}`);
    if (!EMAIL.test(user.email)) fail(`${field}.email`, user.email, 'an e-mail address');
  });
  if (users[0].role !== 'administrator') fail('wordpress.users[0].role', users[0].role, '"administrator": the first user installs the site');
  const otherRoles = new Set(users.slice(1).filter((user) => user.role !== 'administrator').map((user) => user.role));
  if (otherRoles.size < 2) fail('wordpress.users', users.map((user) => `${user.login}:${user.role}`), 'an administrator and at least two other users with different non-administrator roles (subject S5)');
}
