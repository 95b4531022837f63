/**
 * `./setup.sh check` (B6): every S requirement proven against the live stack, with the same probes
 * the host tests run against loopback servers (B5). Only the endpoints and credentials differ.
 */
import { App } from 'cdk8s';
import { buildApp } from '../app';
import { DAEMONSET_SERVICES, SERVICE_NAMES, ServiceName, StackConfig } from '../config';
import { publicEndpoints, SERVICE_TYPES, ServiceType } from '../endpoints';
import { dashboardTitle, dashboardUid, INFLUXDB_DATASOURCE_UID } from '../monitoring/dashboards';
import { METRICS_PATH, METRICS_PORT, POD_METRICS, podMetrics } from '../monitoring/pod-metrics';
import { METRICS, SERIES_TAGS } from '../telegraf-config';
import { AllowedClients, ConnectCommand, Kubectl, probeAddressAnnounced, probeDataSurvivesPodDeletion, probeImagesNamedAfterServices, probeNetworkPoliciesEnforced, probePodFiguresFenced, probeRestartWhenProcessDies, probeServiceAddresses } from '../probes/cluster';
import { probeFtpsPassiveAddress, probeFtpsPlainLoginRefused, probeFtpsTransfer } from '../probes/ftps';
import { probeGrafanaDashboards, probeGrafanaQuery } from '../probes/grafana';
import { httpRedirect, httpsPage, tlsHandshake, Trust } from '../probes/http';
import { phpMyAdminLogin, phpMyAdminLoginPage } from '../probes/phpmyadmin';
import { ProbeResult } from '../probes/probe';
import { sshLogin, sshLoginRefused } from '../probes/ssh';
import { probeWordpressHome, probeWordpressUser } from '../probes/wordpress';
import { SecretSpec, stackSecrets } from '../secrets';

export interface CheckEnvironment {
  readonly config: StackConfig;
  /** The value of one key of one of the stack's Secrets (from `./setup.sh`'s credentials folder). */
  readonly secret: (secret: SecretSpec, key?: string) => string;
  readonly kubectl: Kubectl;
  /** How the stack's TLS certificate is trusted (`./setup.sh` passes the certificate it made). */
  readonly trust: Trust;
}

/** One check of the list: its requirement, and how to run it. */
export interface Check {
  readonly requirement: string;
  readonly run: () => Promise<ProbeResult>;
}

/**
 * The process `pkill` stops in each container for S11, as an evaluator does. For the containers
 * running two daemons it is the one the HTTP probes would not notice.
 */
export const PROCESS_TO_KILL: Readonly<Record<ServiceName, string>> = {
  nginx: 'sshd', wordpress: 'nginx', phpmyadmin: 'nginx', mysql: 'mariadbd',
  ftps: 'vsftpd', grafana: 'grafana', influxdb: 'influxd', telegraf: 'telegraf',
};

/** The Service types the constructs are given, by name: the expectation of S4/S12. */
function serviceTypes(): Record<string, ServiceType> {
  return Object.fromEntries(Object.entries(SERVICE_TYPES).filter((entry): entry is [string, ServiceType] => entry[1] !== 'none'));
}

interface PolicyRule { readonly from?: ReadonlyArray<{ podSelector: { matchLabels: Record<string, string> } }>; readonly ports: ReadonlyArray<{ port: number }> }

/**
 * Who may open which Service, from the chart's own NetworkPolicies (B8): the policies whose rules
 * all name their clients and cover the Service's port. A policy with a rule open to every source (a
 * public port beside the fenced metrics port) admits everyone to that service; the metrics policy
 * of a client-fenced service covers only the metrics port, which the B10 check tests.
 */
function allowedClients(config: StackConfig): AllowedClients[] {
  const objects = buildApp(new App(), config).stack.toJson();
  const name = (selector: { matchLabels: Record<string, string> }) => selector.matchLabels['app.kubernetes.io/name'];
  return objects.filter((o) => o.kind === 'NetworkPolicy').flatMap((policy) => {
    const service = name(policy.spec.podSelector);
    const rules: PolicyRule[] = policy.spec.ingress;
    const servicePort: { port: number; targetPort?: number } | undefined = objects.find((o) => o.kind === 'Service' && o.metadata.name === service)?.spec.ports[0];
    const port = servicePort?.port;
    // A policy names the pod's port, which the Service's targetPort is.
    const clientsOnly = rules.every((rule) => rule.from !== undefined && rule.ports.some((p) => p.port === (servicePort?.targetPort ?? port)));
    return clientsOnly && port !== undefined ? [{ service, port, clients: rules.flatMap((rule) => rule.from!.map((peer) => name(peer.podSelector))) }] : [];
  });
}

/** For each service that serves its own figures, the first metric its collector prints (B10). */
function figureToFind(): Record<string, string> {
  return Object.fromEntries(Object.keys(POD_METRICS).map((service) => [service, podMetrics(service as ServiceName)[0].name]));
}

/**
 * How each declared client opens a connection, with what its image has: PHP's CLI (`/usr/bin/php`
 * from php83, Alpine 3.22's default PHP) in WordPress and phpMyAdmin; busybox's wget and timeout
 * applets in Grafana and telegraf, on InfluxDB's unauthenticated /ping (aports
 * main/busybox/busyboxconfig sets CONFIG_WGET and CONFIG_TIMEOUT; the version read here was busybox
 * 1.29's, so the live check is what proves 3.22's). busybox timeout, not `wget -T`: Debian's busybox
 * 1.35 crashes with -T (test/services/netpol-commands.test.ts runs these commands).
 */
const phpConnect = (host: string, port: number) => ['php', '-r', `exit(@fsockopen("${host}", ${port}, $errno, $error, 5) ? 0 : 1);`];
const wgetPing = (host: string, port: number) => ['timeout', '10', 'wget', '-q', '-O', '/dev/null', `http://${host}:${port}/ping`];
export const CLIENT_CONNECT: Readonly<Record<string, ConnectCommand>> = {
  wordpress: phpConnect, phpmyadmin: phpConnect, grafana: wgetPing, telegraf: wgetPing,
};

/** Every check, in the order a person would read them; the disruptive ones (S10, S11) last. */
export function stackChecks(env: CheckEnvironment): Check[] {
  const { config, trust, kubectl } = env;
  const secrets = stackSecrets(config);
  const ip = config.loadBalancer.address;
  const { namespace } = config;
  const endpoints = publicEndpoints(config);
  const https = endpoints.https.url;
  const wordpress = endpoints.wordpress.url;
  const phpmyadmin = endpoints.phpmyadmin.url;
  const ftps = { host: ip, port: endpoints.ftps.port };
  const grafana = { ...trust, url: endpoints.grafana.url, user: config.grafana.adminUser, password: env.secret(secrets.grafanaAdmin) };
  const check = (requirement: string, run: () => Promise<ProbeResult>): Check => ({ requirement, run });
  const types = serviceTypes();
  const database = { user: config.mysql.user, password: () => env.secret(secrets.mysqlWordPress) };
  const influxAdmin = (statement: string, db = ''): string[] => ['sh', '-c',
    `influx -username "$INFLUXDB_ADMIN_USER" -password "$(cat /run/secrets/${secrets.influxdbAdmin.name}/password)" ${db ? `-database ${db} ` : ''}-execute '${statement}'`];

  return [
    check('S2', () => probeImagesNamedAfterServices(kubectl, namespace, SERVICE_NAMES)),
    check('S4', () => probeServiceAddresses(kubectl, namespace, ip, types)),
    // Only MetalLB's speakers record announcements; a cloud's load balancer shows none.
    ...(config.loadBalancer.mode === 'metallb'
      ? [check('S4', () => probeAddressAnnounced(kubectl, namespace, ip, Object.keys(types).filter((name) => types[name] === 'LoadBalancer')))]
      : []),
    check('S7', () => httpRedirect('S7', `${endpoints.http.url}/check?from=ft`, 301, `${https}/check?from=ft`, trust)),
    check('S7', () => tlsHandshake('S7', ip, endpoints.https.port, trust)),
    check('S7', () => httpsPage('S7', `${https}/`, ['ft_services'], trust)),
    check('S7', () => httpRedirect('S7', `${https}/wordpress`, 307, `${wordpress}/`, trust)),
    check('S7', () => phpMyAdminLoginPage('S7', `${https}/phpmyadmin/`, trust)),
    check('S7', () => phpMyAdminLogin('S7', `${https}/phpmyadmin/`, database.user, database.password(), trust)),
    check('S7', () => sshLogin('S7', ip, endpoints.ssh.port, config.ssh.user, env.secret(secrets.sshUser))),
    check('S7', () => sshLoginRefused('S7', ip, endpoints.ssh.port, 'root', env.secret(secrets.sshUser))),
    check('S5', () => probeWordpressHome(wordpress, config.wordpress.title)),
    ...config.wordpress.users.map((user) => check('S5', () => probeWordpressUser(wordpress, user.login, env.secret(secrets.wordpressUsers, user.login), user.role))),
    check('S6', () => phpMyAdminLoginPage('S6', `${phpmyadmin}/`, trust)),
    check('S6', () => phpMyAdminLogin('S6', `${phpmyadmin}/`, database.user, database.password(), trust)),
    check('S8', () => probeFtpsTransfer(ftps, config.ftps.user, env.secret(secrets.ftpsUser))),
    check('S8', () => probeFtpsPlainLoginRefused(ftps, config.ftps.user, env.secret(secrets.ftpsUser))),
    check('S8', () => probeFtpsPassiveAddress(ftps, config.ftps.user, env.secret(secrets.ftpsUser), ip, config.ftps.passivePorts.min, config.ftps.passivePorts.max)),
    check('B8', () => probeNetworkPoliciesEnforced(kubectl, namespace, allowedClients(config), CLIENT_CONNECT)),
    check('B10', () => probePodFiguresFenced(kubectl, namespace, figureToFind(), METRICS_PORT, METRICS_PATH)),
    check('S9', () => probeGrafanaDashboards(grafana, Object.fromEntries(SERVICE_NAMES.map((service) => [dashboardUid(service), dashboardTitle(service)])))),
    ...SERVICE_NAMES.map((service) => check('S9', () => probeGrafanaQuery(grafana, INFLUXDB_DATASOURCE_UID, config.influxdb.database,
      `Grafana shows live CPU metrics of ${service}`,
      `SELECT last("${METRICS.container.cpu}") FROM "${METRICS.container.measurement}" WHERE "${SERIES_TAGS.namespace}" = '${namespace}' ` +
      `AND "${SERIES_TAGS.pod}" =~ /^${service}-/ AND time > now() - 5m`))),
    check('S10', () => probeDataSurvivesPodDeletion(kubectl, namespace, 'mysql', {
      write: (marker) => ['mariadb', '-e', `CREATE DATABASE IF NOT EXISTS ft_check; CREATE TABLE IF NOT EXISTS ft_check.marks (mark VARCHAR(64)); INSERT INTO ft_check.marks VALUES ('${marker}');`],
      read: (marker) => ['mariadb', '-N', '-e', `SELECT mark FROM ft_check.marks WHERE mark = '${marker}';`],
    })),
    check('S10', () => probeDataSurvivesPodDeletion(kubectl, namespace, 'influxdb', {
      // The influx CLI runs -execute line by line, and INSERT only as a line of its own.
      write: (marker) => influxAdmin(`CREATE DATABASE ft_check\nINSERT marks,mark=${marker} value=1`, 'ft_check'),
      read: () => influxAdmin('SHOW TAG VALUES FROM marks WITH KEY = "mark"', 'ft_check'),
    })),
    ...SERVICE_NAMES.map((service) => check('S11', () => probeRestartWhenProcessDies(kubectl, namespace, service, PROCESS_TO_KILL[service],
      (DAEMONSET_SERVICES as readonly ServiceName[]).includes(service) ? 'daemonset' : 'deployment'))),
  ];
}

/** Runs the checks one after the other (they share one cluster), reporting each result as it comes. */
export async function runChecks(checks: readonly Check[], report: (result: ProbeResult) => void): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const { run } of checks) {
    const result = await run();
    results.push(result);
    report(result);
  }
  return results;
}

/** One line of the pass/fail table. */
export function formatResult(result: ProbeResult): string {
  return `${result.requirement.padEnd(4)} ${result.ok ? 'pass' : 'FAIL'}  ${result.title}\n${' '.repeat(11)}${result.detail}`;
}

/** `./setup.sh check`'s exit status: 0 only when every check passed (and at least one ran). */
export function checkExitCode(results: readonly ProbeResult[]): number {
  return results.length > 0 && results.every((result) => result.ok) ? 0 : 1;
}

/** The closing lines: which requirements failed, and the counts. */
export function formatSummary(results: readonly ProbeResult[]): string {
  const failed = results.filter((result) => !result.ok);
  const requirements = [...new Set(results.map((result) => result.requirement))];
  const failedRequirements = requirements.filter((requirement) => failed.some((result) => result.requirement === requirement));
  return [
    `requirements proven: ${requirements.filter((r) => !failedRequirements.includes(r)).join(' ') || 'none'}`,
    `requirements failing: ${failedRequirements.join(' ') || 'none'}`,
    `${results.length - failed.length} passed, ${failed.length} failed`,
  ].join('\n');
}
