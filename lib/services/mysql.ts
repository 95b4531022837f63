import { Construct } from 'constructs';
import { MYSQL_METRICS_USER } from '../config';
import { metricSelect, PanelSpec, podMetricsQuery } from '../monitoring/dashboards';
import { collectorReadNote, counter, gauge, MetricFamily } from '../monitoring/pod-metrics';
import { configuredService, dataVolume, StackService, StackServiceContext } from '../stack-service';

export type MySqlProps = StackServiceContext;

/**
 * MariaDB's own metrics, served by the mysql pod: srcs/mysql/collect-metrics reads SHOW GLOBAL
 * STATUS as the monitoring account (no privilege, loopback only) and says at its top which status
 * variable each one is.
 */
export const MYSQL_METRICS = {
  queries: counter('mysql_queries_total'),
  connections: gauge('mysql_connections_current'),
  connectionAttempts: counter('mysql_connections_total'),
  abortedConnects: counter('mysql_connections_aborted_total'),
  abortedClients: counter('mysql_clients_aborted_total'),
  slowQueries: counter('mysql_slow_queries_total'),
  bufferPoolData: gauge('mysql_innodb_buffer_pool_data_bytes'),
  bufferPoolSize: gauge('mysql_innodb_buffer_pool_size_bytes'),
} satisfies MetricFamily;

/** MariaDB's own metrics (srcs/mysql/collect-metrics: SHOW GLOBAL STATUS, as a monitoring account). */
function mysqlPanels(service: string, namespace: string): PanelSpec[] {
  const m = MYSQL_METRICS;
  const perPod = podMetricsQuery(service, namespace);
  return [
    {
      title: 'MySQL queries',
      description: `Statements per second the clients sent (Questions): WordPress's and phpMyAdmin's and the health check's SELECT 1 included. ${collectorReadNote('one statement, its SHOW GLOBAL STATUS')}.`,
      kind: 'timeseries',
      unit: 'ops',
      queries: [{ ...perPod, select: metricSelect(m.queries), alias: 'queries $tag_pod_name' }],
    },
    {
      title: 'MySQL connections',
      description: 'Connections open now (Threads_connected), the one reading these figures included.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.connections), alias: 'open $tag_pod_name' }],
    },
    {
      title: 'MySQL connection attempts and aborts',
      description: `Per second: connection attempts (Connections), attempts that failed, such as a wrong password or a client that gave up during the handshake (Aborted_connects), and connections that ended without the client closing them (Aborted_clients). ${collectorReadNote('one attempt, which never fails (one reading at a time, within the monitoring account\'s two connections)')}.`,
      kind: 'timeseries',
      unit: 'cps',
      queries: [
        { ...perPod, select: metricSelect(m.connectionAttempts), alias: 'attempts $tag_pod_name' },
        { ...perPod, select: metricSelect(m.abortedConnects), alias: 'failed $tag_pod_name' },
        { ...perPod, select: metricSelect(m.abortedClients), alias: 'aborted by the client $tag_pod_name' },
      ],
    },
    {
      title: 'MySQL slow queries',
      description: 'Statements per second that took longer than long_query_time, 1 s (Slow_queries).',
      kind: 'timeseries',
      unit: 'cps',
      queries: [{ ...perPod, select: metricSelect(m.slowQueries), alias: 'slow $tag_pod_name' }],
    },
    {
      title: 'InnoDB buffer pool',
      description: 'Table and index data InnoDB holds in memory (Innodb_buffer_pool_bytes_data), and the pages its buffer pool has room for (innodb_buffer_pool_size, less what InnoDB keeps for itself).',
      kind: 'timeseries',
      unit: 'bytes',
      queries: [
        { ...perPod, select: metricSelect(m.bufferPoolData), alias: 'data $tag_pod_name' },
        { ...perPod, select: metricSelect(m.bufferPoolSize), alias: 'size $tag_pod_name' },
      ],
    },
  ];
}

/**
 * MariaDB for WordPress: reachable inside the cluster only (S12), and only by the services that
 * name it in `connectsTo` (B8); data on its volume (S10).
 */
export class MySql extends StackService {
  constructor(scope: Construct, id: string, props: MySqlProps) {
    const { config, secrets } = props;
    super(scope, id, {
      ...configuredService(config, 'mysql', 'ClusterIP'),
      component: 'database',
      ports: [{ name: 'mysql', containerPort: 3306, listenVariable: 'MYSQL_LISTEN_PORT' }],
      env: { MYSQL_DATABASE: config.mysql.database, MYSQL_USER: config.mysql.user, MYSQL_METRICS_USER },
      // Every one read by the entrypoint, as root: the metrics password reaches the collector
      // through a client options file the entrypoint writes for it.
      secrets: [secrets.mysqlRoot, secrets.mysqlWordPress, secrets.mysqlMetrics],
      volume: dataVolume(config, 'mysql', '/var/lib/mysql'),
      // A real query, not an open port: the first boot's temporary server listens on no port at all.
      liveness: { kind: 'exec', command: ['healthcheck'] },
      firstBootSeconds: 300,
      clientsOnly: true,
      podMetrics: { families: [{ metrics: MYSQL_METRICS, panels: mysqlPanels }], scrapedBy: 'telegraf' },
      // InnoDB flushes its buffer pool and logs on a normal shutdown (SIGTERM); a large pool takes a while.
      stopSeconds: 25,
      capabilities: {
        CHOWN: 'the entrypoint hands the data folder to mysql and the monitoring client\'s options to METRICS_USER, serve-metrics '
          + 'its state folder to METRICS_USER',
        FOWNER: 'the entrypoint closes the data folder (chmod 0750) once mysql owns it',
        DAC_OVERRIDE: 'the entrypoint, as root, looks for and writes its markers in the data folder, mysql\'s and closed to others',
        KILL: 'the entrypoint watches (wait-until: kill -0) and stops its temporary mariadbd, which runs as mysql, and '
          + 'run-together the real one',
        SETGID: 'mariadbd (--user=mysql) and socat\'s (serve-metrics) connections change to their own groups',
        SETUID: 'mariadbd (--user=mysql) and socat\'s (serve-metrics) connections change to their own users',
      },
      rootFilesystem: {
        readOnly: true,
        writable: {
          run: { path: '/run', why: 'mariadbd\'s socket and the entrypoint\'s monitoring client options; serve-metrics\' CGI folder' },
          tmp: { path: '/tmp', why: 'mariadbd\'s temporary files (tmpdir)' },
        },
      },
      checks: {
        processToKill: 'mariadbd',
        dataSurvives: {
          write: (marker) => ['mariadb', '-e', `CREATE DATABASE IF NOT EXISTS ft_check; CREATE TABLE IF NOT EXISTS ft_check.marks (mark VARCHAR(64)); INSERT INTO ft_check.marks VALUES ('${marker}');`],
          read: (marker) => ['mariadb', '-N', '-e', `SELECT mark FROM ft_check.marks WHERE mark = '${marker}';`],
        },
      },
    });
  }
}
