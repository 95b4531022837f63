/**
 * FTPS probes (S8): explicit TLS upload, listing and download in passive mode, the passive reply's
 * address, and the refusal of a plain-text login. Endpoints and credentials are arguments; the
 * server's certificate is not verified (the stack's certificate is self-signed, B2), but nothing
 * below TLS 1.2 is offered.
 */
import { Readable, Writable } from 'stream';
import { Client, enterPassiveModeIPv4, FTPError } from 'basic-ftp';
import { expectThat, probe, ProbeResult } from './probe';

export interface FtpEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Logs in over explicit TLS (AUTH TLS) with passive data connections (PASV, as through the load balancer). */
export async function connectFtps(endpoint: FtpEndpoint, user: string, password: string): Promise<Client> {
  const client = new Client(15000);
  // PASV, not EPSV: the 227 reply carries the address the server advertises (RFC 959's PASV),
  // which S8 checks is the load balancer's; EPSV's 229 reply carries a port only (RFC 2428, 3).
  client.prepareTransfer = enterPassiveModeIPv4;
  try {
    await client.access({
      host: endpoint.host, port: endpoint.port, user, password,
      secure: true, secureOptions: { rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    });
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

export async function uploadText(client: Client, name: string, text: string): Promise<void> {
  await client.uploadFrom(Readable.from([Buffer.from(text, 'utf8')]), name);
}

export async function downloadText(client: Client, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk); done(); } });
  await client.downloadTo(sink, name);
  return Buffer.concat(chunks).toString('utf8');
}

/** The address and port of the server's answer to PASV on a logged-in TLS session. */
export async function passiveReply(client: Client): Promise<{ address: string; port: number }> {
  const reply = await client.send('PASV');
  const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.message);
  if (!match) throw new Error(`unexpected PASV reply: ${reply.message}`);
  const n = match.slice(1).map(Number);
  return { address: n.slice(0, 4).join('.'), port: n[4] * 256 + n[5] };
}

/** S8: a file uploaded over TLS is listed and downloads with the same content (then it is removed). */
export function probeFtpsTransfer(endpoint: FtpEndpoint, user: string, password: string): Promise<ProbeResult> {
  return probe('S8', `FTPS upload, listing and download over TLS in passive mode at ${endpoint.host}:${endpoint.port}`, async () => {
    const client = await connectFtps(endpoint, user, password);
    try {
      const name = `probe-${Date.now()}.txt`;
      const text = `ft_services FTPS probe ${new Date().toISOString()}\n`;
      await uploadText(client, name, text);
      const listed = (await client.list()).map((file) => file.name);
      expectThat(listed.includes(name), `${name} not in the listing: ${listed.join(', ')}`);
      const back = await downloadText(client, name);
      expectThat(back === text, `downloaded ${JSON.stringify(back)} instead of ${JSON.stringify(text)}`);
      await client.remove(name);
      return `uploaded, listed and downloaded ${name} (${text.length} bytes) over TLS`;
    } finally {
      client.close();
    }
  });
}

/** S8: the server refuses to log the user in without TLS (530), so a password never crosses in clear. */
export function probeFtpsPlainLoginRefused(endpoint: FtpEndpoint, user: string, password: string): Promise<ProbeResult> {
  return probe('S8', `FTP plain-text login refused at ${endpoint.host}:${endpoint.port}`, async () => {
    const client = new Client(15000);
    try {
      await client.access({ host: endpoint.host, port: endpoint.port, user, password, secure: false });
    } catch (error) {
      expectThat(error instanceof FTPError && error.code === 530, `expected a 530 refusal, got: ${String(error)}`);
      return `refused: ${error.message}`;
    } finally {
      client.close();
    }
    throw new Error('a plain-text login was accepted');
  });
}

/** S8: PASV advertises `address` (the load-balancer IP) and a port in `min`..`max` (the Service's ports). */
export function probeFtpsPassiveAddress(endpoint: FtpEndpoint, user: string, password: string, address: string, min: number, max: number): Promise<ProbeResult> {
  return probe('S8', `FTPS passive mode advertises ${address}:${min}-${max}`, async () => {
    const client = await connectFtps(endpoint, user, password);
    try {
      const reply = await passiveReply(client);
      expectThat(reply.address === address, `PASV advertised ${reply.address}`);
      expectThat(reply.port >= min && reply.port <= max, `PASV port ${reply.port} outside ${min}-${max}`);
      return `PASV -> ${reply.address}:${reply.port}`;
    } finally {
      client.close();
    }
  });
}
