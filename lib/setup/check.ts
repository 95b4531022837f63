/**
 * `./setup.sh check` (B6): every S requirement proven against the live stack, with the same probes
 * the host tests run against loopback servers (B5). Only the endpoints and credentials differ.
 */
import { App } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { buildApp } from '../app';
import { StackConfig } from '../config';
import { publicEndpoints, ServiceType } from '../endpoints';
import { dashboardTitle, dashboardUid, INFLUXDB_DATASOURCE_UID } from '../monitoring/dashboards';
import { METRICS_PATH, METRICS_PORT } from '../monitoring/pod-metrics';
import { KUBERNETES_API, METRICS, SERIES_TAGS } from '../monitoring/telegraf-config';
import { AllowedClients, ConnectCommand, EgressRefusals, Kubectl, probeAddressAnnounced, probeDataSurvivesPodDeletion, probeImagesNamedAfterServices, probeNetworkPoliciesEnforced, probePodMetricsFenced, probeRestartWhenProcessDies, probeServiceAddresses } from '../probes/cluster';
import { probeFtpsPassiveAddress, probeFtpsPlainLoginRefused, probeFtpsTransfer } from '../probes/ftps';
import { probeGrafanaDashboards, probeGrafanaQuery } from '../probes/grafana';
import { httpRedirect, httpsPage, tlsHandshake, Trust } from '../probes/http';
import { phpMyAdminLogin, phpMyAdminLoginPage } from '../probes/phpmyadmin';
import { ProbeResult } from '../probes/probe';
import { sshLogin, sshLoginRefused } from '../probes/ssh';
import { probeWordpressHome, probeWordpressUser } from '../probes/wordpress';
import { SecretSpec, stackSecrets } from '../secrets';
import { clientsOf, StackService } from '../stack-service';

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

/** The Service types the constructs were given, by name: the expectation of S4/S12. */
function serviceTypes(services: readonly StackService[]): Record<string, ServiceType> {
  return Object.fromEntries(services.flatMap(({ name, exposure }) => (exposure.type === 'none' ? [] : [[name, exposure.type]])));
}

/** Who opens which Service (B8): each service with clients, on the port they dial, those clients, and whether it admits them alone. */
function allowedClients(services: readonly StackService[]): AllowedClients[] {
  return services.map((service) => ({ service, clients: clientsOf(service, services) })).filter(({ clients }) => clients.length > 0)
    .map(({ service, clients }) => ({ service: service.name, port: service.port, clients: clients.map((client) => client.name), clientsOnly: service.clientsOnly }));
}

/**
 * What each client whose connect command proves a refusal must fail to open (B8): every other
 * Service that admits any pod and that the client does not connect to, and the API server unless
 * it calls it (telegraf's kubelet and API server ports are open to it alone).
 */
export function egressRefusals(services: readonly StackService[]): EgressRefusals[] {
  return services.filter((client) => client.checks.connect !== undefined && client.checks.connectAnyPort)
    .map((client) => ({
      client: client.name,
      targets: [
        ...services.filter((server) => server !== client && server.service !== undefined && !server.clientsOnly && !client.connectsTo.includes(server))
          .map((server) => ({ host: server.host, port: server.port })),
        ...(client.serviceAccount === undefined ? [KUBERNETES_API] : []),
      ],
    }));
}

/** For each service whose pods serve their own metrics, the first metric its collector prints (B10). */
function metricToFind(services: readonly StackService[]): Record<string, string> {
  return Object.fromEntries(services.filter((service) => service.servedMetrics.length > 0).map((service) => [service.name, service.servedMetrics[0].name]));
}

/** How each service that is a client opens a connection, with what its image has (B8). */
export function clientConnect(services: readonly StackService[]): Record<string, ConnectCommand> {
  return Object.fromEntries(services.flatMap(({ name, checks }) => (checks.connect === undefined ? [] : [[name, checks.connect]])));
}

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
  // The one model of the stack: the constructs the chart is made of.
  const { services } = buildApp(new App(), config).stack;
  const types = serviceTypes(services);
  const database = { user: config.mysql.user, password: () => env.secret(secrets.mysqlWordPress) };

  return [
    check('S2', () => probeImagesNamedAfterServices(kubectl, namespace, services.map((service) => service.name))),
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
    check('B8', () => probeNetworkPoliciesEnforced(kubectl, namespace, allowedClients(services), clientConnect(services), egressRefusals(services))),
    check('B10', () => probePodMetricsFenced(kubectl, namespace, metricToFind(services), METRICS_PORT, METRICS_PATH)),
    check('S9', () => probeGrafanaDashboards(grafana, Object.fromEntries(services.map(({ name }) => [dashboardUid(name), dashboardTitle(name)])))),
    ...services.map(({ name: service }) => check('S9', () => probeGrafanaQuery(grafana, INFLUXDB_DATASOURCE_UID, config.influxdb.database,
      `Grafana shows live CPU metrics of ${service}`,
      `SELECT last("${METRICS.container.cpu}") FROM "${METRICS.container.measurement}" WHERE "${SERIES_TAGS.namespace}" = '${namespace}' ` +
      `AND "${SERIES_TAGS.pod}" =~ /^${service}-/ AND time > now() - 5m`))),
    ...services.flatMap(({ name, checks }) => (checks.dataSurvives === undefined ? []
      : [check('S10', () => probeDataSurvivesPodDeletion(kubectl, namespace, name, checks.dataSurvives!))])),
    ...services.map(({ name, checks, workload }) => check('S11', () => probeRestartWhenProcessDies(kubectl, namespace, name, checks.processToKill,
      workload instanceof kplus.DaemonSet ? 'daemonset' : 'deployment'))),
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
