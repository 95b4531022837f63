/**
 * The scanners people point at a server (B11), run for real from Debian's packages: sslscan for
 * TLS (protocols and every cipher the server accepts, STARTTLS for FTP) and ssh-audit for sshd.
 * Both are read in their machine-readable or exit-code form, which Debian 12's (sslscan 2.0.7,
 * ssh-audit 2.5.0) and Debian 13's releases share.
 */
import { spawnSync } from 'child_process';
import { haveCommand } from './harness';

/** Fails with a clear message when a scanner is missing (.ci/install-host-packages installs them). */
export function requireScanners(): void {
  for (const command of ['sslscan', 'ssh-audit', 'openssl']) {
    if (!haveCommand(command)) throw new Error(`${command} not found: install sslscan, ssh-audit and openssl (.ci/install-host-packages)`);
  }
}

export interface AcceptedCipher {
  /** e.g. TLSv1.2 */
  readonly protocol: string;
  /** OpenSSL's name, e.g. ECDHE-RSA-AES128-GCM-SHA256 or TLS_AES_256_GCM_SHA384. */
  readonly cipher: string;
}

export interface TlsScan {
  /** Protocol versions the server accepts, e.g. ['TLSv1.2', 'TLSv1.3']. */
  readonly protocols: readonly string[];
  readonly ciphers: readonly AcceptedCipher[];
  /** One line for a report: `TLSv1.2 TLSv1.3; 5 ciphers: ...`. */
  readonly summary: string;
}

/** sslscan's XML report (`--xml=-`) of 127.0.0.1:port; `starttls: 'ftp'` upgrades an FTP session first. */
export function sslscan(port: number, options: { starttls?: 'ftp' } = {}): TlsScan {
  const args = ['--no-colour', '--xml=-', ...(options.starttls === 'ftp' ? ['--starttls-ftp'] : []), `127.0.0.1:${port}`];
  const result = spawnSync('sslscan', args, { encoding: 'utf8', timeout: 120000 });
  if (result.status !== 0) throw new Error(`sslscan ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const xml = result.stdout;
  const attributes = (tag: string) => Object.fromEntries([...tag.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const protocols = [...xml.matchAll(/<protocol [^>]*\/>/g)].map((m) => attributes(m[0]))
    .filter((p) => p.enabled === '1').map((p) => `${p.type === 'ssl' ? 'SSLv' : 'TLSv'}${p.version}`);
  const ciphers = [...xml.matchAll(/<cipher [^>]*\/>/g)].map((m) => attributes(m[0]))
    .map((c) => ({ protocol: c.sslversion, cipher: c.cipher }));
  if (protocols.length === 0 || ciphers.length === 0) throw new Error(`sslscan found no TLS on port ${port}:\n${xml}`);
  const summary = `${protocols.join(' ')}; ${ciphers.length} ciphers: ${ciphers.map((c) => `${c.protocol} ${c.cipher}`).join(', ')}`;
  return { protocols, ciphers, summary };
}

/**
 * The policy in words (srcs/common/tls-policy): forward secrecy (ECDHE, or TLS 1.3 where every
 * suite has it) and an AEAD cipher (GCM or ChaCha20-Poly1305) — so no static RSA key exchange, no
 * CBC, no CCM/CCM8, no Camellia or ARIA.
 */
export function withinPolicy(cipher: AcceptedCipher): boolean {
  if (cipher.protocol === 'TLSv1.3') return /^TLS_(AES_(128_GCM_SHA256|256_GCM_SHA384)|CHACHA20_POLY1305_SHA256)$/.test(cipher.cipher);
  return cipher.protocol === 'TLSv1.2' && /^ECDHE-(RSA|ECDSA)-(AES(128-GCM-SHA256|256-GCM-SHA384)|CHACHA20-POLY1305)$/.test(cipher.cipher);
}

/**
 * The TLS 1.2 cipher the server picks from a client list in the given order (openssl s_client);
 * a server that applies its own order picks the same one from both orders.
 */
export function negotiatedCipher(port: number, clientOrder: readonly string[], options: { starttls?: 'ftp' } = {}): string {
  const output = tls12Session(port, options, ['-cipher', clientOrder.join(':')]);
  const match = /Cipher is (\S+)/.exec(output);
  if (!match) throw new Error(`openssl s_client on port ${port}: no cipher\n${output}`);
  return match[1];
}

/** What `openssl s_client -tls1_2` prints about a TLS 1.2 session with 127.0.0.1:port. */
export function tls12Session(port: number, options: { starttls?: 'ftp' } = {}, extra: readonly string[] = []): string {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', ...extra, ...(options.starttls === 'ftp' ? ['-starttls', 'ftp'] : [])];
  const result = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 15000 });
  return `${result.stdout}${result.stderr}`;
}

export interface SshAudit {
  /** ssh-audit's exit status: 0 good, 1 warnings, 2 failures (ssh_audit/exitcodes.py). */
  readonly status: number | null;
  /** Every line rated [fail] or [warn]. */
  readonly findings: readonly string[];
  /** One line for a report. */
  readonly summary: string;
}

/** ssh-audit of the sshd on 127.0.0.1:port. */
export function sshAudit(port: number): SshAudit {
  const result = spawnSync('ssh-audit', ['-n', '-p', String(port), '127.0.0.1'], { encoding: 'utf8', timeout: 120000 });
  const findings = result.stdout.split('\n').filter((line) => /\[(fail|warn)\]/.test(line)).map((line) => line.trim());
  const banner = /\(gen\) banner: (.*)/.exec(result.stdout)?.[1] ?? '?';
  const count = (level: string) => findings.filter((line) => line.includes(`[${level}]`)).length;
  return { status: result.status, findings, summary: `${banner}: exit ${result.status}, ${count('fail')} fail, ${count('warn')} warn` };
}
