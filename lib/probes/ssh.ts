/**
 * SSH probes (S7): password login into the nginx container, and refusals. Pure ssh2 client code;
 * host, port and credentials are arguments (loopback in CI, the load balancer in `./setup.sh check`).
 */
import { createHash } from 'crypto';
import { Client } from 'ssh2';
import { expectThat, probe, ProbeResult } from './probe';

interface CommandResult {
  readonly stdout: string;
  readonly code: number | null;
  /** The host key the server showed, as OpenSSH prints it (`SHA256:<base64>`). */
  readonly hostKey: string;
}

/** Logs in with a password, runs `command`, and returns what it printed. Rejects when login fails. */
export function sshRun(host: string, port: number, user: string, password: string, command: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKey = '';
    client.on('ready', () => {
      client.exec(command, (error, stream) => {
        if (error) {
          client.end();
          reject(error);
          return;
        }
        let stdout = '';
        stream.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
        stream.stderr.on('data', () => undefined);
        stream.on('close', (code: number | null) => {
          client.end();
          resolve({ stdout, code, hostKey });
        });
      });
    });
    client.on('error', reject);
    // ssh2 emits no error when the server closes the connection after its banner (an sshd whose
    // pre-authentication child dies, e.g. on a failed chroot): without this the probe waits forever.
    client.on('close', () => reject(new Error('the server closed the connection before the command finished')));
    client.connect({
      host, port, username: user, password,
      // Password only: an agent or default key of the machine running the probe must not log in.
      tryKeyboard: false,
      agent: undefined,
      readyTimeout: 15000,
      // The stack's host key is generated per install (B2): the probe records it, trusting it.
      hostVerifier: (key: Buffer) => {
        hostKey = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
        return true;
      },
    });
  });
}

/** `user` logs in with `password` and `id -un` prints `user`. */
export function sshLogin(requirement: string, host: string, port: number, user: string, password: string): Promise<ProbeResult> {
  return probe(requirement, `ssh ${user}@${host}:${port} logs in with its password`, async () => {
    const result = await sshRun(host, port, user, password, 'id -un');
    expectThat(result.code === 0 && result.stdout.trim() === user, `id -un printed ${JSON.stringify(result.stdout.trim())}, exit ${result.code}`);
    return `logged in as ${result.stdout.trim()} (host key ${result.hostKey})`;
  });
}

/** A login as `user` with `password` is refused (root, or a wrong password). */
export function sshLoginRefused(requirement: string, host: string, port: number, user: string, password: string): Promise<ProbeResult> {
  return probe(requirement, `ssh ${user}@${host}:${port} is refused`, async () => {
    let outcome: string;
    try {
      const result = await sshRun(host, port, user, password, 'id -un');
      outcome = `logged in and ran id -un: ${result.stdout.trim()}`;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // ssh2 reports a refused login as "All configured authentication methods failed".
      expectThat(/authentication methods failed/i.test(message), `failed for another reason: ${message}`);
      return `refused: ${message}`;
    }
    throw new Error(outcome);
  });
}
