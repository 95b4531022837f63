/** What ./setup.sh tells the user at the end (S3, B2): where everything is, and the logins on demand. */
import * as path from 'path';
import { StackConfig } from '../config';
import { SecretSpec, stackSecrets } from '../secrets';

/** Where each service is reached on the load-balancer address. */
export function summary(config: StackConfig, secretsDir: string): string {
  const ip = config.loadBalancer.address;
  const { ports } = config;
  const secrets = stackSecrets(config);
  const where = (secret: SecretSpec, key = secret.keys[0].key) => path.join(secretsDir, secret.name, key);
  return [
    `Every service is on ${ip}:`,
    `  https://${ip}/                      nginx (http://${ip}/ redirects here)`,
    `  https://${ip}:${ports.wordpress}/                 WordPress (also https://${ip}/wordpress)`,
    `  https://${ip}:${ports.phpmyadmin}/                 phpMyAdmin (also https://${ip}/phpmyadmin/), login ${config.mysql.user}`,
    `  http://${ip}:${ports.grafana}/                  Grafana, login ${config.grafana.adminUser}`,
    `  ftp://${ip}:${ports.ftps} (explicit TLS only)   FTPS, login ${config.ftps.user}`,
    `  ssh ${config.ssh.user}@${ip} -p ${ports.ssh}`,
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

