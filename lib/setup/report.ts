/** What ./setup.sh tells the user at the end (S3, B2): where everything is, and the logins on demand. */
import * as path from 'path';
import { StackConfig } from '../config';
import { publicEndpoints } from '../endpoints';
import { SecretSpec, stackSecrets } from '../secrets';

/** Where each service is reached on the load-balancer address. */
export function summary(config: StackConfig, secretsDir: string): string {
  const ip = config.loadBalancer.address;
  const { http, https, wordpress, phpmyadmin, grafana, ftps, ssh } = publicEndpoints(config);
  const secrets = stackSecrets(config);
  const where = (secret: SecretSpec, key = secret.keys[0].key) => path.join(secretsDir, secret.name, key);
  const row = (address: string, what: string) => `  ${address.padEnd(44)} ${what}`;
  return [
    `Every service is on ${ip}:`,
    row(`${https.url}/`, `nginx (${http.url}/ redirects here)`),
    row(`${wordpress.url}/`, `WordPress (also ${https.url}/wordpress)`),
    row(`${phpmyadmin.url}/`, `phpMyAdmin (also ${https.url}/phpmyadmin/), login ${config.mysql.user}`),
    row(`${grafana.url}/`, `Grafana, login ${config.grafana.adminUser}`),
    row(`${ftps.url} (explicit TLS only)`, `FTPS, login ${config.ftps.user}`),
    `  ssh ${config.ssh.user}@${ssh.host} -p ${ssh.port}`,
    '',
    `Passwords are files under ${secretsDir} (mode 0600, never committed), e.g. ${where(secrets.grafanaAdmin)};`,
    './setup.sh credentials prints them all.',
  ].join('\n');
}

/** Every login, with its password. */
export function credentials(config: StackConfig, read: (secret: SecretSpec, key?: string) => string): string {
  const secrets = stackSecrets(config);
  const line = (what: string, user: string, secret: SecretSpec, key?: string) => `${what.padEnd(22)} ${user.padEnd(12)} ${read(secret, key)}`;
  return [
    line('SSH (nginx)', config.ssh.user, secrets.sshUser),
    line('MySQL / phpMyAdmin', config.mysql.user, secrets.mysqlWordPress),
    line('MySQL root (in-pod)', 'root', secrets.mysqlRoot),
    ...config.wordpress.users.map((user) => line(`WordPress ${user.role}`, user.login, secrets.wordpressUsers, user.login)),
    line('FTPS', config.ftps.user, secrets.ftpsUser),
    line('Grafana', config.grafana.adminUser, secrets.grafanaAdmin),
    line('InfluxDB admin', config.influxdb.adminUser, secrets.influxdbAdmin),
  ].join('\n');
}

