/**
 * HTTP(S) and TLS probes (S6, S7): redirects, pages and handshakes, seen from a client. Endpoints
 * are arguments, so the same probes run against loopback servers in CI (B5) and against the load
 * balancer in `./setup.sh check` (B6).
 */
import * as http from 'http';
import * as https from 'https';
import { isIP } from 'net';
import * as tls from 'tls';
import { expectThat, probe, ProbeResult } from './probe';

/** How a probe trusts the server's certificate. */
export interface Trust {
  /** Accept any certificate (the stack's certificate is self-signed, B2). */
  readonly insecure?: boolean;
  /** Verify against this CA/certificate (PEM) instead of the system's CAs. */
  readonly ca?: string | Buffer;
}

export interface HttpRequestOptions extends Trust {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs?: number;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request, no redirect followed. */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpReply> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const timeout = options.timeoutMs ?? 15000;
  const tlsOptions: https.RequestOptions = target.protocol === 'https:'
    ? { rejectUnauthorized: !options.insecure, ...(options.ca ? { ca: options.ca } : {}), ...(isIP(target.hostname) ? {} : { servername: target.hostname }) }
    : {};
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(target, { method: options.method ?? 'GET', headers, timeout, agent: false, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeout} ms`)));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/**
 * The cookies of one visit to one site (all under one base URL, so paths are not tracked); expired
 * cookies are dropped, as a browser does.
 */
export class CookieJar {
  private readonly values = new Map<string, string>();

  constructor(initial: Readonly<Record<string, string>> = {}) {
    for (const [name, value] of Object.entries(initial)) this.values.set(name, value);
  }

  store(reply: HttpReply): void {
    for (const line of reply.headers['set-cookie'] ?? []) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const expired = attributes.some((attribute) => /^max-age=(0|-\d+)$/i.test(attribute))
        || attributes.some((attribute) => /^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) < Date.now());
      if (expired) this.values.delete(name);
      else this.values.set(name, pair.slice(eq + 1));
    }
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** `url` answers `expectedStatus` with exactly `expectedLocation` in its Location header. */
export function httpRedirect(requirement: string, url: string, expectedStatus: number, expectedLocation: string, trust: Trust = {}): Promise<ProbeResult> {
  return probe(requirement, `${url} answers ${expectedStatus} to ${expectedLocation}`, async () => {
    const reply = await httpRequest(url, trust);
    const location = reply.headers.location;
    expectThat(reply.status === expectedStatus && location === expectedLocation,
      `got ${reply.status} with Location ${location ?? '(none)'}`);
    return `${reply.status} Location: ${location}`;
  });
}

/** `url` answers 200 with a body that contains every one of `mustContain`. */
export function httpsPage(requirement: string, url: string, mustContain: readonly string[], trust: Trust = {}): Promise<ProbeResult> {
  return probe(requirement, `${url} serves a page containing ${mustContain.map((text) => JSON.stringify(text)).join(', ')}`, async () => {
    const reply = await httpRequest(url, trust);
    expectThat(reply.status === 200, `got ${reply.status}: ${reply.body.slice(0, 200)}`);
    const missing = mustContain.filter((text) => !reply.body.includes(text));
    expectThat(missing.length === 0, `200, but the page lacks ${missing.map((text) => JSON.stringify(text)).join(', ')}`);
    return `200, ${reply.body.length} bytes`;
  });
}

/** A TLS handshake with `host:port` succeeds (verified against `trust.ca` unless insecure). */
export function tlsHandshake(requirement: string, host: string, port: number, trust: Trust = {}): Promise<ProbeResult> {
  return probe(requirement, `TLS handshake with ${host}:${port}`, () => new Promise<string>((resolve, reject) => {
    const socket = tls.connect({
      host, port,
      rejectUnauthorized: !trust.insecure,
      ...(trust.ca ? { ca: trust.ca } : {}),
      ...(isIP(host) ? {} : { servername: host }),
      timeout: 10000,
    }, () => {
      const subject = socket.getPeerCertificate().subject?.CN ?? '?';
      const detail = `${socket.getProtocol() ?? '?'}, ${socket.getCipher().name}, certificate CN=${subject}`;
      socket.end();
      resolve(detail);
    });
    socket.on('timeout', () => socket.destroy(new Error(`no TLS handshake with ${host}:${port} within 10 s`)));
    socket.on('error', reject);
  }));
}
