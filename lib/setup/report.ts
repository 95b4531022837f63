/** What ./setup.sh tells the user (B2, B13): where everything is, and the logins on demand. */
import * as path from 'path';
import { MYSQL_METRICS_USER, StackConfig } from '../config';
import { publicEndpoints } from '../endpoints';
import { SecretSpec, stackSecrets } from '../secrets';

/** Rows as aligned columns (two spaces apart); the last column is not padded. */
export function table(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = rows.reduce<number[]>((max, row) => row.map((cell, i) => Math.max(max[i] ?? 0, cell.length)), []);
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

/** Where each service is reached on the load-balancer address, and where the passwords are. */
export function summary(config: StackConfig, secretsDir: string): string {
  const ip = config.loadBalancer.address;
  const { http, https, wordpress, phpmyadmin, grafana, ftps, ssh } = publicEndpoints(config);
  const secrets = stackSecrets(config);
  const where = (secret: SecretSpec, key = secret.keys[0].key) => path.join(secretsDir, secret.name, key);
  return [
    `Every service is on ${ip}:`,
    ...table([
      [`${https.url}/`, 'nginx', `index page (${http.url}/ redirects here)`],
      [`${wordpress.url}/`, 'WordPress', `admin at ${wordpress.url}/wp-admin/ (also ${https.url}/wordpress)`],
      [`${phpmyadmin.url}/`, 'phpMyAdmin', `login ${config.mysql.user} (also ${https.url}/phpmyadmin/)`],
      [`${grafana.url}/`, 'Grafana', `login ${config.grafana.adminUser}`],
      [`${ftps.url}/`, 'FTPS', `login ${config.ftps.user}, explicit TLS only`],
      [`ssh ${config.ssh.user}@${ssh.host} -p ${ssh.port}`, 'SSH', 'into the nginx container'],
    ]).map((line) => `  ${line}`),
    '',
    'An FTPS client, for example:',
    `  curl --ssl-reqd --cacert ${where(secrets.tls, 'tls.crt')} --user ${config.ftps.user} ${ftps.url}/`,
    '',
    `The certificate is self-signed (${where(secrets.tls, 'tls.crt')}): accept it in your browser.`,
    `Passwords are files under ${secretsDir} (mode 0600, never committed), e.g. ${where(secrets.grafanaAdmin)};`,
    './setup.sh credentials prints them all.',
  ].join('\n');
}

/** Every login, with its password, as an aligned table. */
export function credentials(config: StackConfig, read: (secret: SecretSpec, key?: string) => string): string {
  const secrets = stackSecrets(config);
  const row = (what: string, user: string, secret: SecretSpec, key?: string) => [what, user, read(secret, key)];
  return table([
    ['SERVICE', 'LOGIN', 'PASSWORD'],
    row('SSH (nginx)', config.ssh.user, secrets.sshUser),
    row('MySQL / phpMyAdmin', config.mysql.user, secrets.mysqlWordPress),
    row('MySQL root (in-pod)', 'root', secrets.mysqlRoot),
    row('MySQL metrics (in-pod)', MYSQL_METRICS_USER, secrets.mysqlMetrics),
    ...config.wordpress.users.map((user) => row(`WordPress ${user.role}`, user.login, secrets.wordpressUsers, user.login)),
    row('FTPS', config.ftps.user, secrets.ftpsUser),
    row('Grafana', config.grafana.adminUser, secrets.grafanaAdmin),
    row('InfluxDB admin', config.influxdb.adminUser, secrets.influxdbAdmin),
  ]).join('\n');
}
