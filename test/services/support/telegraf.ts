/**
 * The real telegraf (v1.34.4, built from its Go module by .ci/build-telegraf with only the plugins
 * our config uses) run on the generated config, for the host tests (B5, S9, K7). The config is the
 * chart's; only the collection interval and the in-cluster addresses are changed, here, in
 * `forHost`, and nothing else may differ.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { renderToml, TomlTable, TomlValue } from '../../../lib/monitoring/toml';
import { TELEGRAF_ENV } from '../../../lib/monitoring/telegraf-config';
import { TELEGRAF_USER } from '../../../lib/services/telegraf';
import { haveCommand, run, Server, startServer } from './harness';

/** The version Alpine 3.22 ships (community/telegraf 1.34.4) and .ci/build-telegraf builds. */
export const TELEGRAF_VERSION = '1.34.4';

/** Fails with what to run when the telegraf of .ci/build-telegraf is not installed. */
export function requireTelegraf(): void {
  if (!haveCommand('telegraf')) throw new Error('telegraf not found: run .ci/build-telegraf (builds it from its Go module)');
  const version = run('telegraf', ['--version']);
  if (!version.includes(`Telegraf ${TELEGRAF_VERSION}`)) throw new Error(`telegraf ${TELEGRAF_VERSION} expected, found: ${version}`);
}

/** The plugins compiled into the installed telegraf (`telegraf plugins inputs|outputs`: `inputs.kubernetes`…). */
export function compiledPlugins(): string[] {
  return ['inputs', 'outputs'].flatMap((kind) => run('telegraf', ['plugins', kind]).split('\n').map((line) => line.trim()).filter(Boolean));
}

/** In-cluster address (or file) in the generated config → where the host test serves it. */
export type Addresses = Readonly<Record<string, string>>;

/**
 * The generated config with `interval` and the addresses replaced, and nothing else: every string
 * that contains an in-cluster address of `addresses` gets the host's instead, and pod discovery
 * gets the API server from `kubeConfig`. Throws when an in-cluster name (`*.svc`, a
 * service-account file) is left over.
 */
export function forHost(document: TomlTable, interval: string, addresses: Addresses, kubeConfig: string): TomlTable {
  const rewrite = (value: TomlValue): TomlValue => {
    if (typeof value === 'string') return Object.entries(addresses).reduce((text, [from, to]) => text.split(from).join(to), value);
    if (Array.isArray(value)) return value.map((item) => rewrite(item as TomlValue)) as TomlValue;
    if (typeof value === 'object') return Object.fromEntries(Object.entries(value as TomlTable).map(([key, item]) => [key, item === undefined ? item : rewrite(item)]));
    return value;
  };
  const agent = document.agent as TomlTable;
  // Outside a pod, the pod discovery of inputs.prometheus finds the API server through a kubeconfig
  // (kubernetes.go loadConfig) instead of the pod's in-cluster configuration.
  const inputs = Object.fromEntries(Object.entries(document.inputs as Record<string, TomlTable[]>).map(([plugin, tables]) =>
    [plugin, tables.map((table) => (table.monitor_kubernetes_pods ? { ...table, kube_config: kubeConfig } : table))]));
  const result = rewrite({ ...document, agent: { ...agent, interval, flush_interval: interval }, inputs }) as TomlTable;
  const leftover = JSON.stringify(result).match(/[\w.-]+\.svc\b|\/var\/run\/secrets\/[\w./-]+/);
  if (leftover) throw new Error(`forHost: no host address for ${leftover[0]}`);
  return result;
}

/** Writes `document` as `<dir>/telegraf.conf`. */
export function writeConfig(dir: string, document: TomlTable): string {
  const file = path.join(dir, 'telegraf.conf');
  fs.writeFileSync(file, renderToml(document));
  return file;
}

/** The environment the DaemonSet gives telegraf (srcs/README.md), with host values. */
export type TelegrafEnv = Readonly<Record<(typeof TELEGRAF_ENV)[keyof typeof TELEGRAF_ENV], string>>;

/**
 * `telegraf --test`: loads the config, gathers every input once, prints the metrics, writes nothing;
 * exits 1 when a plugin is missing, an option unknown or an input fails. Asynchronous: the stand-ins
 * it reads run in this process.
 */
export function telegrafTest(config: string, env: TelegrafEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // --test-wait: the pod discovery of inputs.prometheus reads the kubelet's pod list a second
    // after it starts (kubernetes.go startK8s).
    execFile('telegraf', ['--config', config, '--test', '--test-wait', '5'], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * The agent running on `config` until stopped (logs in `<dir>/telegraf.log`), as the chart runs it
 * (B15): as TELEGRAF_USER, with no supplementary group, no capability and no way to gain one
 * (util-linux's setpriv, which execs telegraf, so the server's pid is telegraf's).
 */
export function startTelegraf(dir: string, config: string, env: TelegrafEnv): Server {
  const { user, group } = TELEGRAF_USER;
  return startServer({
    name: 'telegraf',
    command: 'setpriv',
    args: [`--reuid=${user}`, `--regid=${group}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', 'telegraf', '--config', config],
    env,
    logFile: path.join(dir, 'telegraf.log'),
  });
}
