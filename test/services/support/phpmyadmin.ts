/**
 * Our phpMyAdmin image's entrypoint (srcs/phpmyadmin/entrypoint.sh) run with Debian's nginx,
 * php-fpm and phpMyAdmin on loopback ports (requirement B5). Debian's phpMyAdmin is copied to
 * a scratch folder (`cp -rL`: its JS vendor files are relative symlinks) and pointed at OUR
 * config.inc.php, where Alpine's package has a symlink to /etc/phpmyadmin/config.inc.php.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Capability } from '../../../lib/capabilities';
import { asContainer, debianPhpFpm, freePort, haveCommand, makeTlsPair, randomSecret, run, scratchDir, Server, SRCS, startServer, stopAll, waitFor, WaitingIsFutile, writeSecrets } from './harness';
import { nginxPhpFpmEnvironment } from './nginx-php-fpm';
import { MysqlDatabase, startScratchMysql } from './mysql';
import { createSshUser, NginxContainer, removeUser, startNginxContainer } from './nginx';
import { httpRequest } from '../../../lib/probes/http';

export const PMA_ENTRYPOINT = path.join(SRCS, 'phpmyadmin', 'entrypoint.sh');
const DEBIAN_PMA = '/usr/share/phpmyadmin';

export function requirePhpMyAdmin(): void {
  for (const command of ['nginx', 'openssl']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install nginx, php-fpm, php-mysql, openssl (.ci/install-host-packages)`);
  }
  debianPhpFpm();
  if (!fs.existsSync(path.join(DEBIAN_PMA, 'index.php'))) throw new Error(`${DEBIAN_PMA} not found: install phpmyadmin (.ci/install-host-packages)`);
}

export interface PhpMyAdminContainer {
  readonly dir: string;
  readonly server: Server;
  readonly port: number;
  /** `https://127.0.0.1:<port>/` */
  readonly url: string;
  readonly cert: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Starts our phpMyAdmin container's entrypoint against `database` and waits for /healthz.php. */
export async function startPhpMyAdminContainer(database: { host: string; port: number }, without: readonly Capability[] = []): Promise<PhpMyAdminContainer> {
  requirePhpMyAdmin();
  const dir = scratchDir('phpmyadmin');
  const root = path.join(dir, 'root');
  run('cp', ['-rL', DEBIAN_PMA, root]);
  // Debian hard-wires its config file and temp folder here; point them at ours.
  const vendorConfig = path.join(root, 'libraries', 'vendor_config.php');
  const tempDir = path.join(dir, 'tmp');
  const patched = fs.readFileSync(vendorConfig, 'utf8')
    .replace("'/etc/phpmyadmin/config.inc.php'", `'${path.join(SRCS, 'phpmyadmin', 'config.inc.php')}'`)
    .replace("'/var/lib/phpmyadmin/tmp/'", `'${tempDir}/'`);
  if (!patched.includes(path.join(SRCS, 'phpmyadmin', 'config.inc.php'))) throw new Error(`${vendorConfig}: configFile not found, cannot point it at our config`);
  fs.writeFileSync(vendorConfig, patched);

  const secrets = path.join(dir, 'secrets');
  const cert = fs.readFileSync(makeTlsPair(path.join(secrets, 'tls')).cert, 'utf8');
  writeSecrets(secrets, { phpmyadmin: { 'blowfish-secret': randomSecret(24) } });
  const port = await freePort();
  const env = {
    PMA_HOST: database.host,
    PMA_PORT: String(database.port),
    PMA_LISTEN: `127.0.0.1:${port}`,
    PMA_ROOT: root,
    PMA_TEMP_DIR: tempDir,
    ...await nginxPhpFpmEnvironment('phpmyadmin', dir),
    SECRETS_DIR: secrets,
  };
  const server = startServer({ name: 'phpmyadmin container', ...asContainer('phpmyadmin', 'sh', [PMA_ENTRYPOINT], without), env, logFile: path.join(dir, 'phpmyadmin.log') });
  const url = `https://127.0.0.1:${port}/`;
  await waitFor('phpmyadmin /healthz.php', async () => {
    if (!server.running) throw new WaitingIsFutile('exited');
    return (await httpRequest(`${url}healthz.php`, { ca: cert, timeoutMs: 2000 })).status === 200;
  }, 30000).catch((error: Error) => {
    throw new Error(`${error.message}\n--- phpmyadmin container log ---\n${server.log()}`);
  });
  return { dir, server, port, url, cert, env };
}

/** MySQL, our phpMyAdmin container on it, and our nginx container proxying /phpmyadmin/ to it (S6, S7). */
export interface PhpMyAdminBehindNginx {
  readonly mysql: MysqlDatabase;
  readonly pma: PhpMyAdminContainer;
  readonly nginx: NginxContainer;
  /** `https://127.0.0.1:<nginx https port>/phpmyadmin/` */
  readonly proxied: string;
  /** The SSH user the nginx container needs; `stopPhpMyAdminBehindNginx` removes it. */
  readonly sshUser: string;
}

export async function startPhpMyAdminBehindNginx(name: string): Promise<PhpMyAdminBehindNginx> {
  const mysql = await startScratchMysql(`${name}-mysql`);
  const pma = await startPhpMyAdminContainer(mysql);
  const sshUser = createSshUser();
  try {
    const nginx = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${pma.port}` }, sshUser);
    return { mysql, pma, nginx, proxied: `https://127.0.0.1:${nginx.httpsPort}/phpmyadmin/`, sshUser };
  } catch (error) {
    removeUser(sshUser);
    throw error;
  }
}

/** Stops every server of the test file and removes the SSH user: the `afterAll` of a file that started the fixture. */
export async function stopPhpMyAdminBehindNginx(fixture: PhpMyAdminBehindNginx | undefined): Promise<void> {
  await stopAll();
  if (fixture !== undefined) removeUser(fixture.sshUser);
}
