/**
 * Monitoring as code (S9, B3, K7): the generated telegraf config and Grafana dashboards agree with
 * each other and with the chart's service list. The real telegraf runs the config, and the
 * queries run against a real InfluxDB, in test/services/telegraf.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { SERVICE_NAMES } from '../lib/config';
import {
  DASHBOARD_SCHEMA_VERSION, dashboardFiles, dashboardProvider, DASHBOARDS_PATH, datasourceProvisioning, INFLUXDB_DATASOURCE_UID,
} from '../lib/monitoring/dashboards';
import { servedMetrics, stackServices, telegrafOptions } from './support/model';
import { producedSeries, TELEGRAF_HEALTH_PORT, TELEGRAF_RBAC_RULES, telegrafConfig, telegrafDocument } from '../lib/monitoring/telegraf-config';
import { panelQueries, queryReferences } from './support/influxql';

const namespace = 'ft-services';
const files = dashboardFiles({ namespace, services: stackServices() });
const dashboards = Object.fromEntries(Object.entries(files).map(([file, json]) => [file, JSON.parse(json)]));
const produced = producedSeries(telegrafOptions(namespace));
const config = telegrafConfig(telegrafOptions(namespace));

/** The key lines of the first `[header]` / `[[header]]` table in a rendered telegraf.conf. */
function section(toml: string, header: string): string {
  const start = toml.indexOf(`\n${header}\n`);
  if (start < 0) throw new Error(`${header} not in the config`);
  const body = toml.slice(start + header.length + 2);
  const end = body.search(/^\[/m);
  return end < 0 ? body : body.slice(0, end);
}

describe('S9 B3 one dashboard per service', () => {
  test('S9 B3 exactly one dashboard per service of the chart, with a stable uid, title and file name', () => {
    expect(Object.keys(files).sort()).toEqual(SERVICE_NAMES.map((s) => `ft-${s}.json`).sort());
    for (const service of SERVICE_NAMES) {
      expect(dashboards[`ft-${service}.json`]).toMatchObject({ uid: `ft-${service}`, title: `ft_services / ${service}` });
    }
    expect(dashboardFiles({ namespace, services: stackServices() })).toEqual(files);
  });

  test('B3 a service list with one more service yields one more dashboard, for that service', () => {
    const more = dashboardFiles({ namespace, services: [...stackServices(), { name: 'redis', ownPanels: () => [] }] });
    expect(Object.keys(more)).toHaveLength(SERVICE_NAMES.length + 1);
    expect(JSON.parse(more['ft-redis.json'])).toMatchObject({ uid: 'ft-redis', title: 'ft_services / redis' });
    for (const { query } of panelQueries(more['ft-redis.json'])) expect(query).toContain('/^redis-/');
  });

  test(`S9 every dashboard carries schemaVersion ${DASHBOARD_SCHEMA_VERSION} (what Alpine's Grafana 12.0 knows) and uses the provisioned datasource`, () => {
    expect(DASHBOARD_SCHEMA_VERSION).toBe(41);
    for (const board of Object.values(dashboards)) {
      expect(board.schemaVersion).toBe(41);
      for (const panel of board.panels) {
        expect(panel.datasource).toEqual({ type: 'influxdb', uid: INFLUXDB_DATASOURCE_UID });
        for (const target of panel.targets) expect(target).toMatchObject({ rawQuery: true, resultFormat: 'time_series', datasource: { uid: INFLUXDB_DATASOURCE_UID } });
      }
    }
  });

  test.each(SERVICE_NAMES)('S9 the %s dashboard shows its container\'s CPU, memory, network and restarts', (service) => {
    const titles = dashboards[`ft-${service}.json`].panels.map((p: { title: string }) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['CPU usage', 'Memory (working set)', 'Network traffic', 'Restarts']));
  });

  test('B10 the mysql dashboard adds MariaDB\'s own panels, each saying what it counts', () => {
    const panels = dashboards['ft-mysql.json'].panels as Array<{ title: string; description: string; targets: Array<{ query: string }> }>;
    const own = panels.filter((panel) => panel.targets.some((target) => /"mysql_/.test(target.query)));
    expect(own.map((panel) => panel.title)).toEqual(['MySQL queries', 'MySQL connections', 'MySQL connection attempts and aborts', 'MySQL slow queries', 'InnoDB buffer pool']);
    for (const panel of own) expect(panel.description).toMatch(/\((Questions|Threads_connected|Connections|Slow_queries|Innodb_buffer_pool_bytes_data)\)/);
  });

  test('S9 B10 InfluxDB, Grafana and telegraf dashboards add panels from their own metrics', () => {
    const titles = (service: string) => dashboards[`ft-${service}.json`].panels.map((p: { title: string }) => p.title);
    expect(titles('influxdb')).toEqual(expect.arrayContaining(['InfluxDB requests', 'Points written', 'Write errors', 'Error answers', 'Series']));
    expect(titles('grafana')).toEqual(expect.arrayContaining(['Grafana requests', 'Logins', 'Active users', 'Datasource answers']));
    expect(titles('telegraf')).toEqual(expect.arrayContaining(['Metrics pipeline', 'Gather errors']));
  });

  test.each([...servedMetrics().keys()])('B10 B3 every metric the %s pods serve is drawn by a panel of its dashboard', (service) => {
    const drawn = new Set(panelQueries(files[`ft-${service}.json`]).flatMap((q) => queryReferences(q.query).fields));
    expect(servedMetrics().get(service)!.map((metric) => metric.name).filter((name) => !drawn.has(name))).toEqual([]);
  });

  test.each(['nginx', 'wordpress', 'phpmyadmin'])('S9 B10 the %s dashboard shows nginx\'s requests per second and its active, reading, writing and waiting connections', (service) => {
    const panels = dashboards[`ft-${service}.json`].panels as Array<{ title: string; fieldConfig: { defaults: { unit: string } }; targets: Array<{ alias: string }> }>;
    const panel = (title: string) => panels.find((p) => p.title === title);
    expect(panel('nginx requests')?.fieldConfig.defaults.unit).toBe('reqps');
    expect(panel('nginx connections')?.targets.map((t) => t.alias.split(' ')[0])).toEqual(['active', 'reading', 'writing', 'waiting']);
  });
});

describe('S9 every panel query reads what telegraf writes, for its own service only', () => {
  const cases = Object.entries(files).flatMap(([file, json]) => panelQueries(json).map((q) => ({ service: file.replace(/^ft-|\.json$/g, ''), ...q })));

  test('S9 there are queries to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(SERVICE_NAMES.length * 4);
  });

  test.each(cases.map((c) => [c.service, c.panel, c.refId, c] as const))('S9 %s / %s / %s names a measurement, fields and tags the telegraf config produces', (_s, _p, _r, c) => {
    const refs = queryReferences(c.query);
    const series = produced.get(refs.measurement);
    expect(series).toBeDefined();
    expect(refs.fields.length).toBeGreaterThan(0);
    for (const field of refs.fields) expect([...series!.fields]).toContain(field);
    for (const tag of refs.tags) expect([...series!.tags]).toContain(tag);
    // The rendered config really carries those filters (the derivation reads the same data).
    expect(config).toContain(`"${refs.measurement}"`);
  });

  test.each(cases.map((c) => [c.service, c.panel, c.refId, c] as const))('S9 %s / %s / %s filters on the namespace and on that service', (service, _p, _r, c) => {
    const { conditions } = queryReferences(c.query);
    expect(conditions.namespace).toBe(`= '${namespace}'`);
    const byPod = conditions.pod_name === `=~ /^${service}-/`;
    const byService = conditions.service === `= '${service}'`;
    expect(byPod || byService).toBe(true);
    if (conditions.container_name !== undefined) expect(conditions.container_name).toBe(`= '${service}'`);
  });
});

describe('K7 the telegraf DaemonSet config', () => {
  test('K7 per-container stats come from this node\'s kubelet with the service-account token, restarts from the API server', () => {
    expect(config).toContain('[[inputs.kubernetes]]\n  url = "https://${HOST_IP}:10250"');
    expect(config).toContain('bearer_token = "/var/run/secrets/kubernetes.io/serviceaccount/token"');
    expect(config).toContain('insecure_skip_verify = true');
    expect(config).toContain('[[inputs.kube_inventory]]');
    expect(config).not.toMatch(/\[\[inputs\.(cpu|mem|docker)\]\]/);
  });

  test('S9 only this stack\'s namespace is collected and written', () => {
    expect(config).toContain(`[inputs.kubernetes.tagpass]\n  namespace = ["${namespace}"]`);
    expect(section(config, '[[inputs.kube_inventory]]')).toContain(`namespace = "${namespace}"`);
    const other = telegrafConfig(telegrafOptions('elsewhere'));
    expect(other).toContain('namespace = ["elsewhere"]');
    expect(other).not.toContain(namespace);
    const outputNamepass = /namepass = \[([^\]]*)\]/.exec(section(config, '[[outputs.influxdb]]'));
    expect(outputNamepass).not.toBeNull();
    expect(outputNamepass![1].split(', ').map((s) => JSON.parse(s)).sort()).toEqual([...produced.keys()].sort());
  });

  test('K2 InfluxDB credentials come from the environment, never from the ConfigMap', () => {
    expect(config).toContain('username = "${INFLUXDB_WRITE_USER}"');
    expect(config).toContain('password = "${INFLUXDB_WRITE_PASSWORD}"');
    expect(config).toContain('urls = ["${INFLUXDB_URL}"]');
    expect(config).toContain('database = "${INFLUXDB_DB}"');
    expect(config.match(/password = "([^"]*)"/g)).toEqual(['password = "${INFLUXDB_WRITE_PASSWORD}"']);
  });

  test('K7 CI builds telegraf with exactly the plugins the config uses (.ci/telegraf-plugins, telegraf docs/CUSTOMIZATION.md)', () => {
    const document = telegrafDocument(telegrafOptions(namespace));
    const used = ['inputs', 'outputs'].flatMap((kind) => Object.keys(document[kind] as object).map((plugin) => `${kind}.${plugin}`));
    const built = fs.readFileSync(path.join(__dirname, '..', '.ci', 'telegraf-plugins'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(built.sort()).toEqual(used.sort());
  });

  test('K1 outputs.health answers on the probe port', () => {
    expect(TELEGRAF_HEALTH_PORT).toBe(8080);
    expect(config).toContain('[[outputs.health]]\n  service_address = "http://:8080"');
  });

  test('B7 kube_inventory reports the pods of its own node only (node_name: a field selector on spec.nodeName)', () => {
    expect(section(config, '[[inputs.kube_inventory]]')).toContain('node_name = "${NODE_NAME}"');
  });

  // kubernetes pkg/kubelet/server/auth.go: /stats/* → nodes/stats; /pods → nodes/pods (then
  // nodes/proxy) with KubeletFineGrainedAuthz, on by default since 1.33. nodes/proxy would also
  // allow exec into every container of the node.
  test('K7 the service account may read kubelet stats and pod lists and this namespace\'s pods, never nodes/proxy', () => {
    expect(TELEGRAF_RBAC_RULES).toEqual({
      cluster: [{ apiGroups: [''], resources: ['nodes/stats', 'nodes/pods'], verbs: ['get'] }],
      namespace: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    });
  });
});

describe('S9 Grafana provisioning', () => {
  const options = { url: 'http://influxdb.example:8086', database: 'metrics', user: 'reader', passwordFile: '/run/secrets/influxdb-grafana/password' };
  const datasource = parseYaml(datasourceProvisioning(options)).datasources[0];

  test('S9 the datasource carries the url, database and user it was given, as the default InfluxQL datasource', () => {
    expect(datasource).toMatchObject({
      uid: INFLUXDB_DATASOURCE_UID, type: 'influxdb', access: 'proxy', url: options.url, user: options.user, isDefault: true,
      jsonData: { dbName: options.database, httpMode: 'GET' },
    });
  });

  test('K2 the datasource password is Grafana\'s $__file expansion of the secret file, no literal', () => {
    expect(datasource.secureJsonData).toEqual({ password: `$__file{${options.passwordFile}}` });
    expect(datasource.password).toBeUndefined();
    expect(datasourceProvisioning(options)).not.toMatch(/password:(?!\s*\$__file\{)/);
  });

  test('S9 B3 the dashboard provider loads the JSON files from the mounted folder and keeps them authoritative', () => {
    expect(parseYaml(dashboardProvider('ft_services')).providers).toEqual([expect.objectContaining({
      type: 'file', folder: 'ft_services', disableDeletion: true, allowUiUpdates: false, options: { path: DASHBOARDS_PATH },
    })]);
    expect(DASHBOARDS_PATH).toBe('/etc/grafana/dashboards');
  });
});
