/**
 * The Secrets of the stack (K2, B2). The chart only names them and mounts them; it never emits a
 * secret value. `./setup.sh` generates every key listed here once per install and creates the
 * Secrets from those files.
 */
import { MYSQL_METRICS_USER, StackConfig } from './config';

/** How `./setup.sh` makes a key's value. */
export type SecretGenerator =
  /** A random password of letters and digits. */
  | 'password'
  /** Exactly 32 random characters (phpMyAdmin's blowfish secret must be 32 bytes). */
  | 'token32'
  /** An ed25519 private key in OpenSSH format (`ssh-keygen -t ed25519`). */
  | 'ssh-ed25519'
  /** The self-signed certificate and key of a `kubernetes.io/tls` Secret, for the load-balancer IP. */
  | 'tls';

export interface SecretKeySpec {
  readonly key: string;
  readonly generate: SecretGenerator;
}

export interface SecretSpec {
  /** The Secret's name, and the folder it is mounted at: `/run/secrets/<name>/`. */
  readonly name: string;
  readonly type: 'Opaque' | 'kubernetes.io/tls';
  readonly keys: readonly SecretKeySpec[];
  /** What the Secret is for, shown to the user next to the credentials. */
  readonly description: string;
}

const password = (key = 'password'): SecretKeySpec => ({ key, generate: 'password' });

/** The basic-auth user of Grafana's /metrics, whose password is the grafana-metrics Secret. */
export const GRAFANA_METRICS_USER = 'metrics';

/** Every Secret of the stack, by role. Workloads refer to these objects, never to retyped names. */
export function stackSecrets(config: StackConfig) {
  const opaque = (name: string, description: string, keys: readonly SecretKeySpec[]): SecretSpec => ({ name, type: 'Opaque', keys, description });
  return {
    tls: { name: 'tls', type: 'kubernetes.io/tls', keys: [{ key: 'tls.crt', generate: 'tls' }, { key: 'tls.key', generate: 'tls' }], description: 'TLS certificate of the load-balancer IP (nginx, WordPress, phpMyAdmin, FTPS, Grafana)' } as SecretSpec,
    sshUser: opaque('ssh-user', `SSH login "${config.ssh.user}" into the nginx container`, [password()]),
    sshHostKeys: opaque('ssh-host-keys', 'SSH host key of the nginx container (kept across restarts)', [{ key: 'ssh_host_ed25519_key', generate: 'ssh-ed25519' }]),
    mysqlRoot: opaque('mysql-root', 'MySQL root (local to the mysql container only)', [password()]),
    mysqlWordPress: opaque('mysql-wordpress', `MySQL user "${config.mysql.user}" (WordPress; also a phpMyAdmin login)`, [password()]),
    mysqlMetrics: opaque('mysql-metrics', `MySQL monitoring account "${MYSQL_METRICS_USER}" (the server's status only, from inside the mysql pod)`, [password()]),
    wordpressUsers: opaque('wordpress-users', `WordPress users: ${config.wordpress.users.map((user) => `${user.login} (${user.role})`).join(', ')}`,
      config.wordpress.users.map((user) => password(user.login))),
    wordpressKeys: opaque('wordpress-keys', 'WordPress keys and salts (derived from one random value)', [password('salt')]),
    phpMyAdmin: opaque('phpmyadmin', 'phpMyAdmin cookie encryption', [{ key: 'blowfish-secret', generate: 'token32' }]),
    ftpsUser: opaque('ftps-user', `FTPS user "${config.ftps.user}"`, [password()]),
    influxdbAdmin: opaque('influxdb-admin', `InfluxDB admin "${config.influxdb.adminUser}"`, [password()]),
    influxdbWrite: opaque('influxdb-telegraf', `InfluxDB writer "${config.influxdb.writeUser}" (telegraf)`, [password()]),
    influxdbRead: opaque('influxdb-grafana', `InfluxDB reader "${config.influxdb.readUser}" (Grafana)`, [password()]),
    grafanaAdmin: opaque('grafana-admin', `Grafana admin "${config.grafana.adminUser}"`, [password()]),
    grafanaMetrics: opaque('grafana-metrics', `Grafana's /metrics, basic-auth user "${GRAFANA_METRICS_USER}" (read by the grafana pod's own collector)`, [password()]),
  } as const satisfies Record<string, SecretSpec>;
}

export type StackSecrets = ReturnType<typeof stackSecrets>;

/** The folder a Secret is mounted at in every container that reads it. */
export function secretMountPath(secret: SecretSpec): string {
  return `/run/secrets/${secret.name}`;
}

/** One file of a mounted Secret: `<name>/<key>`. */
export interface SecretFile {
  readonly secret: SecretSpec;
  readonly key: string;
}

/** The files of `secret`, all of its keys by default. */
export function secretFiles(secret: SecretSpec, ...keys: string[]): SecretFile[] {
  const unknown = keys.filter((key) => !secret.keys.some((k) => k.key === key));
  if (unknown.length > 0) throw new Error(`Secret ${secret.name} has no key ${unknown.join(', ')}; its keys are ${secret.keys.map((k) => k.key).join(', ')}`);
  return (keys.length > 0 ? keys : secret.keys.map((k) => k.key)).map((key) => ({ secret, key }));
}

/** `<name>/<key>`, as srcs/common/read-secret and hand-over name a Secret file. */
export function secretFileName(file: SecretFile): string {
  return `${file.secret.name}/${file.key}`;
}

/**
 * The unprivileged processes of a container that read Secret files themselves (B15), each through
 * a copy of its own that the entrypoint makes at start (srcs/common/hand-over): `daemon`, the
 * service's own daemon (php-fpm's pool user, Grafana's grafana); `metrics`, the pod's collector
 * (serve-metrics' METRICS_USER). Every mounted Secret stays root's alone.
 */
export type SecretReader = 'daemon' | 'metrics';
export const SECRET_READERS: readonly SecretReader[] = ['daemon', 'metrics'];

/**
 * Where the entrypoints put those copies: a memory-backed emptyDir the chart mounts (HANDED_DIR),
 * so that a copy is written with a read-only root filesystem and, like the Secret, never to disk.
 */
export const HANDED_DIR = '/run/ft-secrets';

/** The variable naming a reader's files for the entrypoint (`DAEMON_HANDED`, `METRICS_HANDED`): `<name>/<key>`, space-separated. */
export function readerHandedVariable(reader: SecretReader): string {
  return `${reader.toUpperCase()}_HANDED`;
}

/** The folder of a reader's copies; its files are `<folder>/<name>/<key>` (srcs/common/hand-over). */
export function handedSecretsFolder(reader: SecretReader): string {
  return `${HANDED_DIR}/${reader}`;
}

/** Where `reader` finds its copy of `file`. */
export function handedSecretPath(reader: SecretReader, file: SecretFile): string {
  return `${handedSecretsFolder(reader)}/${secretFileName(file)}`;
}
