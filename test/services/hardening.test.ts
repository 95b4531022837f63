/**
 * B11: the servers as a scanner sees them. The real scanners from Debian's packages (sslscan,
 * ssh-audit, openssl s_client) against our real configs and entrypoints on loopback: nginx (443)
 * with its sshd, WordPress (5050), phpMyAdmin (5000) and vsftpd with explicit FTPS (21).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { httpRequest } from '../../lib/probes/http';
import { OUTPUT_ROOT, stopAll } from './support/harness';
import { Ftps, FtpsSetup, prepareFtps, startFtps } from './support/ftps';
import { MysqlDatabase, startScratchMysql } from './support/mysql';
import { createSshUser, NginxContainer, removeUser, startNginxContainer } from './support/nginx';
import { PhpMyAdminContainer, startPhpMyAdminContainer } from './support/phpmyadmin';
import { negotiatedCipher, tls12Session, requireScanners, sshAudit, sslscan, TlsScan, withinPolicy } from './support/scanners';
import { startWordpress, WordpressSite } from './support/wordpress';

let mysql: MysqlDatabase;
let pma: PhpMyAdminContainer;
let nginx: NginxContainer;
let wordpress: WordpressSite;
let ftpsSetup: FtpsSetup;
let ftps: Ftps;
let sshUser: string;

/** The scanners' summary lines of this run, kept for the record (test-output/scanners.txt). */
const summaries: string[] = [];

beforeAll(async () => {
  requireScanners();
  mysql = await startScratchMysql('hardening-mysql');
  pma = await startPhpMyAdminContainer(mysql);
  sshUser = createSshUser();
  nginx = await startNginxContainer({ phpMyAdminUrl: `https://127.0.0.1:${pma.port}` }, sshUser);
  wordpress = await startWordpress('hardening-wordpress');
  ftpsSetup = prepareFtps('hardening-ftps');
  ftps = await startFtps(ftpsSetup, 'hardening-vsftpd');
}, 240000);

afterAll(async () => {
  await stopAll();
  if (sshUser) removeUser(sshUser);
  fs.mkdirSync(OUTPUT_ROOT, { recursive: true });
  fs.writeFileSync(path.join(OUTPUT_ROOT, 'scanners.txt'), `${summaries.join('\n')}\n`);
});

const tlsPorts: ReadonlyArray<[string, () => number, 'ftp' | undefined]> = [
  ['nginx 443', () => nginx.httpsPort, undefined],
  ['WordPress 5050', () => wordpress.port, undefined],
  ['phpMyAdmin 5000', () => pma.port, undefined],
  ['FTPS 21 (AUTH TLS)', () => ftps.port, 'ftp'],
];

describe.each(tlsPorts)('%s', (name, port, starttls) => {
  let scan: TlsScan;
  beforeAll(() => {
    scan = sslscan(port(), { starttls });
    summaries.push(`sslscan ${name}: ${scan.summary}`);
  });

  test('B11 sslscan: no protocol below TLS 1.2', () => {
    expect(scan.protocols.filter((protocol) => !['TLSv1.2', 'TLSv1.3'].includes(protocol))).toEqual([]);
    expect(scan.protocols).toContain('TLSv1.2');
  });

  test('B11 sslscan: every accepted cipher has forward secrecy and AEAD (no static RSA, CBC, CCM, Camellia, ARIA)', () => {
    expect(scan.ciphers.filter((cipher) => !withinPolicy(cipher))).toEqual([]);
  });

  test('B11 the server applies its own TLS 1.2 cipher order, whatever order the client offers', () => {
    const pair = ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384'];
    expect(negotiatedCipher(port(), pair, { starttls })).toBe(negotiatedCipher(port(), [...pair].reverse(), { starttls }));
  });

  test('B11 no TLS 1.2 session ticket is issued (no ticket key that is never rotated)', () => {
    expect(tls12Session(port(), { starttls })).not.toMatch(/TLS session ticket/);
  });
});

/**
 * ssh-audit 2.5.0 (Debian 12) predates the Terrapin countermeasure that every patched OpenSSH
 * announces as a pseudo-algorithm, and reports it as "unknown" (and exits 2); 3.1.0 and later
 * (Debian 13) know it (jtesta/ssh-audit README, v3.1.0). It cannot be turned off, nor should it be.
 */
const STRICT_KEX_UNKNOWN = /^\(kex\) kex-strict-s-v00@openssh\.com +-- \[warn\] unknown algorithm$/;

test('B11 ssh-audit rates every algorithm of our sshd good: no failure, no warning', () => {
  const audit = sshAudit(nginx.sshPort);
  summaries.push(`ssh-audit: ${audit.summary}`);
  const findings = audit.findings.filter((line) => !STRICT_KEX_UNKNOWN.test(line));
  expect(findings).toEqual([]);
  expect(audit.status).toBe(findings.length === audit.findings.length ? 0 : 2);
});

describe('B11 quiet servers', () => {
  const pages: ReadonlyArray<[string, () => string]> = [
    ['nginx index page', () => `https://127.0.0.1:${nginx.httpsPort}/`],
    ['phpMyAdmin behind nginx', () => `https://127.0.0.1:${nginx.httpsPort}/phpmyadmin/`],
    ['WordPress home page', () => `${wordpress.baseUrl}/`],
    ['WordPress login page', () => `${wordpress.baseUrl}/wp-login.php`],
    ['phpMyAdmin login page', () => pma.url],
  ];

  test.each(pages)('B11 %s: nosniff, same-origin referrer, same-origin framing, once each; no version', async (_name, url) => {
    const reply = await httpRequest(url(), { insecure: true });
    expect(reply.status).toBe(200);
    expect({
      'x-content-type-options': reply.headers['x-content-type-options'],
      'referrer-policy': reply.headers['referrer-policy'],
      'x-frame-options': reply.headers['x-frame-options'],
      'x-powered-by': reply.headers['x-powered-by'],
      server: reply.headers.server,
    }).toEqual({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin', 'x-frame-options': 'SAMEORIGIN', 'x-powered-by': undefined, server: 'nginx' });
  });

  test('B11 phpMyAdmin pages that carry the CSRF token are not compressed (BREACH)', async () => {
    for (const url of [pma.url, `https://127.0.0.1:${nginx.httpsPort}/phpmyadmin/`]) {
      const reply = await httpRequest(url, { insecure: true, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect({ url, encoding: reply.headers['content-encoding'], token: /name="token"/.test(reply.body) }).toEqual({ url, encoding: undefined, token: true });
    }
  });

  /** The first line vsftpd sends on a new control connection. */
  function greeting(socket: net.Socket): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('\n')) resolve(text.split('\r\n')[0]);
      });
      socket.on('error', reject);
    });
  }

  test('B11 vsftpd greets without its version and takes at most 5 sessions from one address', async () => {
    const sockets = Array.from({ length: 6 }, () => net.connect(ftps.port, '127.0.0.1'));
    try {
      const greetings: string[] = [];
      for (const socket of sockets) greetings.push(await greeting(socket));
      expect(greetings.slice(0, 5)).toEqual(Array(5).fill('220 ft_services FTPS'));
      expect(greetings[5]).toMatch(/^421 /);
    } finally {
      sockets.forEach((socket) => socket.destroy());
    }
  });
});
