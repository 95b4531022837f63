/**
 * The stack's credentials (B2): every key of every Secret of lib/secrets.ts, generated once into
 * `<secrets>/<secret>/<key>` (files 0600 in 0700 folders) and kept by later runs. Only the TLS
 * certificate is remade, when the load-balancer address it names has changed.
 */
import { execFileSync } from 'child_process';
import { createHash, randomBytes, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { StackConfig } from '../config';
import { SecretSpec, stackSecrets } from '../secrets';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` letters and digits, uniformly drawn (bytes past the last whole multiple of 62 are skipped). */
export function randomString(length: number): string {
  let value = '';
  while (value.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && value.length < length) value += ALPHABET[byte % ALPHABET.length];
    }
  }
  return value;
}

/** Writes `value` to a new file that is 0600 from its first byte. */
function writePrivate(file: string, value: string | Buffer): void {
  fs.writeFileSync(file, value, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

const nonEmpty = (file: string) => fs.existsSync(file) && fs.statSync(file).size > 0;

/** The certificate exists with its key and names `address` among its IP addresses. */
export function certificateNames(dir: string, address: string): boolean {
  if (!nonEmpty(path.join(dir, 'tls.crt')) || !nonEmpty(path.join(dir, 'tls.key'))) return false;
  try {
    const names = new X509Certificate(fs.readFileSync(path.join(dir, 'tls.crt'))).subjectAltName ?? '';
    return names.split(', ').includes(`IP Address:${address}`);
  } catch {
    return false;
  }
}

/**
 * A self-signed server certificate for `address` (openssl req; RSA 2048, 825 days, the limit browsers
 * accept), as `tls.crt` and `tls.key` (0600) in `dir`.
 */
export function makeCertificate(dir: string, address: string): void {
  const conf = path.join(dir, '.openssl.cnf');
  fs.writeFileSync(conf, ['[req]', 'distinguished_name = dn', 'x509_extensions = ext', 'prompt = no',
    '[dn]', 'CN = ft-services', 'O = ft_services',
    '[ext]', `subjectAltName = IP:${address}`, 'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = serverAuth', ''].join('\n'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '825', '-config', conf,
      '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    fs.rmSync(conf, { force: true });
  }
  for (const file of ['tls.crt', 'tls.key']) fs.chmodSync(path.join(dir, file), 0o600);
}

/** An ed25519 host key in OpenSSH format, made in a private temporary folder and moved into place. */
function makeSshKey(file: string): void {
  const tmp = fs.mkdtempSync(path.join(path.dirname(file), '.keygen.'));
  try {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ft-services nginx host key', '-f', path.join(tmp, 'key')], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.renameSync(path.join(tmp, 'key'), file);
    fs.chmodSync(file, 0o600);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface CredentialsOutcome {
  /** How many passwords and tokens were new this run. */
  readonly created: number;
  /** The certificate was (re)made for the address. */
  readonly newCertificate: boolean;
}

/** Generates every missing key of the stack's Secrets under `secretsDir`; keeps those that exist. */
export function ensureCredentials(secretsDir: string, config: StackConfig): CredentialsOutcome {
  privateDir(path.dirname(secretsDir));
  privateDir(secretsDir);
  let created = 0;
  let newCertificate = false;
  for (const secret of Object.values(stackSecrets(config))) {
    const dir = path.join(secretsDir, secret.name);
    privateDir(dir);
    for (const { key, generate } of secret.keys) {
      const file = path.join(dir, key);
      if (generate === 'tls') {
        if (!newCertificate && !certificateNames(dir, config.loadBalancer.address)) {
          makeCertificate(dir, config.loadBalancer.address);
          newCertificate = true;
        }
      } else if (!nonEmpty(file)) {
        if (generate === 'ssh-ed25519') makeSshKey(file);
        else {
          writePrivate(file, randomString(generate === 'token32' ? 32 : 24));
          created++;
        }
      }
    }
  }
  return { created, newCertificate };
}

/** The contents of a Secret's keys, as files setup holds. */
export function secretData(secretsDir: string, secret: SecretSpec): Record<string, Buffer> {
  return Object.fromEntries(secret.keys.map(({ key }) => {
    const file = path.join(secretsDir, secret.name, key);
    if (!nonEmpty(file)) throw new Error(`missing credential ${file}: run ./setup.sh to generate it`);
    return [key, fs.readFileSync(file)];
  }));
}

/** A checksum of each Secret's contents (key names and values), so a pod that mounts it rolls when it changes. */
export function secretChecksums(secretsDir: string, config: StackConfig): Record<string, string> {
  return Object.fromEntries(Object.values(stackSecrets(config)).map((secret) => {
    const hash = createHash('sha256');
    for (const [key, value] of Object.entries(secretData(secretsDir, secret)).sort(([a], [b]) => a.localeCompare(b))) {
      hash.update(`${key}\0`).update(value).update('\0');
    }
    return [secret.name, hash.digest('hex').slice(0, 16)];
  }));
}
