/**
 * STAND-IN for Grafana in the CI cluster's grafana image (B14): Debian has no Grafana package, so
 * the image's /usr/bin/grafana runs this instead, the host tests' stand-in
 * (test/services/support/grafana-stand-in.ts: /api/health, /login, /api/ds/query and the datasource
 * proxy to the real InfluxDB, /api/search over the provisioned dashboards' files, /metrics behind
 * basic auth as Grafana writes it, HTTPS with TLS 1.3 only). It is NOT Grafana: no UI, no
 * rendering, no sqlite database on the volume.
 *
 * Called as the entrypoint calls Grafana, `grafana server --homepath DIR --config FILE`, it takes
 * what Grafana would take: the ini file with its GF_<SECTION>_<KEY> environment overrides and the
 * $__env{…} and $__file{…} expansions (grafana pkg/setting/setting.go, expanders.go), and the
 * InfluxDB datasource from the provisioning folder the ini names.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { startGrafanaStandIn } from '../../test/services/support/grafana-stand-in';

type Ini = Map<string, string>;

/** Grafana's $__env{NAME} and $__file{PATH} expansions of a value. */
function expand(value: string): string {
  return value
    .replace(/\$__env\{([^}]*)\}/g, (_all, name: string) => process.env[name] ?? '')
    .replace(/\$__file\{([^}]*)\}/g, (_all, file: string) => fs.readFileSync(file, 'utf8').trim());
}

/** `section.key` → value, the file's then the environment's (GF_SECTION_KEY, dots as underscores). */
function readIni(file: string): Ini {
  const ini: Ini = new Map();
  let section = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (pair) ini.set(`${section}.${pair[1]}`, pair[2]);
  }
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GF_') || value === undefined) continue;
    const key = [...ini.keys()].find((known) => `GF_${known.replace(/[.-]/g, '_').toUpperCase()}` === name);
    const [section, ...rest] = name.slice(3).toLowerCase().split('_');
    ini.set(key ?? `${section}.${rest.join('_')}`, value);
  }
  for (const [key, value] of ini) ini.set(key, expand(value));
  return ini;
}

function setting(ini: Ini, key: string): string {
  const value = ini.get(key);
  if (value === undefined || value === '') throw new Error(`grafana stand-in: ${key} is not set (in the ini file or GF_ environment)`);
  return value;
}

interface ProvisionedDatasource {
  readonly uid?: string;
  readonly type?: string;
  readonly url?: string;
  readonly user?: string;
  readonly jsonData?: { readonly dbName?: string };
  readonly secureJsonData?: { readonly password?: string };
}

/** The InfluxDB datasource of the provisioning folder, as Grafana provisions it. */
function influxdbDatasource(provisioning: string) {
  const folder = path.join(provisioning, 'datasources');
  const found = fs.readdirSync(folder).filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => (parse(fs.readFileSync(path.join(folder, file), 'utf8'))?.datasources ?? []) as ProvisionedDatasource[])
    .find((datasource) => datasource.type === 'influxdb');
  if (!found?.url || !found.user || !found.jsonData?.dbName) throw new Error(`grafana stand-in: no complete influxdb datasource in ${folder}`);
  return {
    url: found.url,
    database: found.jsonData.dbName,
    user: { name: found.user, password: expand(found.secureJsonData?.password ?? '') },
    uid: found.uid,
  };
}

/** The dashboards of the provisioning folder's file providers (their `options.path`), uid and title. */
function provisionedDashboards(provisioning: string): Array<{ uid: string; title: string }> {
  const folder = path.join(provisioning, 'dashboards');
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder).filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) => (parse(fs.readFileSync(path.join(folder, file), 'utf8'))?.providers ?? []) as Array<{ options?: { path?: string } }>)
    .flatMap((provider) => (provider.options?.path ? [provider.options.path] : []))
    .flatMap((dir) => fs.readdirSync(dir).filter((file) => file.endsWith('.json')).map((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { uid: string; title: string }))
    .map(({ uid, title }) => ({ uid, title }));
}

async function main(args: string[]): Promise<void> {
  const config = args[args.indexOf('--config') + 1];
  if (args[0] !== 'server' || !args.includes('--config') || !config) {
    throw new Error('usage: grafana server [--homepath DIR] --config FILE (this is a STAND-IN for Grafana)');
  }
  // The name Grafana's own binary runs under, so `pkill -x grafana` (S11, ./setup.sh check) finds it.
  process.title = 'grafana';
  const ini = readIni(config);
  const cert = fs.readFileSync(setting(ini, 'server.cert_file'), 'utf8');
  const standIn = await startGrafanaStandIn({
    cert,
    key: fs.readFileSync(setting(ini, 'server.cert_key'), 'utf8'),
    tlsName: '',
    admin: { name: setting(ini, 'security.admin_user'), password: setting(ini, 'security.admin_password') },
    metrics: { name: setting(ini, 'metrics.basic_auth_username'), password: setting(ini, 'metrics.basic_auth_password') },
    datasource: influxdbDatasource(setting(ini, 'paths.provisioning')),
    dashboards: provisionedDashboards(setting(ini, 'paths.provisioning')),
    host: '0.0.0.0',
    port: Number(setting(ini, 'server.http_port')),
  });
  process.stdout.write(`grafana STAND-IN (not Grafana; .ci/cluster/grafana-server.ts) listening on https://0.0.0.0:${standIn.port}\n`);
  const stop = () => { standIn.close().then(() => process.exit(0), () => process.exit(1)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
