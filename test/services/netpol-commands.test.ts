/**
 * The commands `./setup.sh check` runs in the cluster to prove the NetworkPolicies (B8), run here
 * against the real servers on loopback: the outsider's curl tells a connection that was made from
 * one that was not, and each client's command opens its database. Only what a NetworkPolicy does
 * (drop the packets) needs the live cluster.
 */
import { spawnSync } from 'child_process';
import { outsiderConnect } from '../../lib/probes/cluster';
import { phpConnect, wgetPing } from '../../lib/probes/connect';
import { freePort, haveCommand, stopAll } from './support/harness';
import { InfluxDatabase, startScratchInflux } from './support/influxdb';
import { busyboxPath } from './support/metrics';
import { MysqlDatabase, startScratchMysql } from './support/mysql';

afterAll(stopAll);

let mysql: MysqlDatabase;
let influxdb: InfluxDatabase;
let closed: number;
/** busybox's wget and timeout first on PATH, as Alpine installs them. */
let appletPath: string;

beforeAll(async () => {
  for (const command of ['curl', 'php']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install the curl and php packages (.ci/install-host-packages)`);
  }
  appletPath = busyboxPath(['wget', 'timeout']);
  [mysql, influxdb] = await Promise.all([startScratchMysql('netpol-mysql'), startScratchInflux('netpol-influxdb')]);
  closed = await freePort();
}, 120000);

function run(command: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string } {
  const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8', env, timeout: 30000 });
  return { status: result.status, stdout: result.stdout };
}

describe('B8 the outsider pod\'s curl', () => {
  // curl's --write-out `%{time_connect}`: the time until the TCP connection was made, 0 when none
  // was; written even when the transfer then fails (MariaDB does not speak HTTP).
  test('B8 it reports a connection to MariaDB and to InfluxDB, and exits 0 so kubectl passes the figure on', () => {
    for (const port of [mysql.port, influxdb.port]) {
      const { status, stdout } = run(outsiderConnect('127.0.0.1', port));
      expect(status).toBe(0);
      expect(Number(stdout)).toBeGreaterThan(0);
    }
  });

  test('B8 it reports 0 for a port nothing answers on', () => {
    expect(run(outsiderConnect('127.0.0.1', closed))).toEqual({ status: 0, stdout: '0.000000' });
  });
});

describe('B8 the declared clients\' commands', () => {
  test('B8 WordPress\'s and phpMyAdmin\'s php opens MariaDB, and fails on a closed port', () => {
    expect(run(phpConnect('127.0.0.1', mysql.port)).status).toBe(0);
    expect(run(phpConnect('127.0.0.1', closed)).status).toBe(1);
  });

  test('B8 Grafana\'s and telegraf\'s busybox wget reaches InfluxDB\'s /ping (204), and fails on a closed port', () => {
    expect(run(wgetPing('127.0.0.1', influxdb.port), { ...process.env, PATH: appletPath }).status).toBe(0);
    expect(run(wgetPing('127.0.0.1', closed), { ...process.env, PATH: appletPath }).status).not.toBe(0);
  });
});
