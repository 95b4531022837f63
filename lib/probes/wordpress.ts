/**
 * WordPress probes (S5): the home page serves the site, and each configured user logs in through
 * wp-login.php and holds the expected role. Endpoints and credentials are arguments; the server's
 * certificate is not verified (the stack's certificate is self-signed, B2).
 */
import * as http from 'http';
import * as https from 'https';
import { expectThat, probe, ProbeResult } from './probe';

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A minimal cookie jar: WordPress's cookies are all for one host, so paths are ignored. */
class Cookies {
  private readonly values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.values.set(name, value);
  }

  store(headers: http.IncomingHttpHeaders): void {
    for (const line of headers['set-cookie'] ?? []) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) this.values.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  header(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; cookies?: Cookies } = {}): Promise<Reply> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookies) headers.cookie = options.cookies.header();
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = client.request(target, { method: options.method ?? 'GET', headers, rejectUnauthorized: false, timeout: 15000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        options.cookies?.store(res.headers);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout requesting ${url}`)));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** The text of the page's `<title>`, with HTML entities of WordPress titles decoded. */
export function pageTitle(html: string): string {
  const match = /<title[^>]*>([^<]*)<\/title>/i.exec(html);
  if (!match) return '';
  return match[1]
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&lsaquo;/g, '\u2039').replace(/&rsaquo;/g, '\u203a')
    .replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .trim();
}

/** GET `baseUrl/`: 200 with the site's title. Returns the page's title and body. */
export async function wordpressHome(baseUrl: string): Promise<{ status: number; title: string; body: string }> {
  const reply = await request(`${baseUrl.replace(/\/$/, '')}/`);
  return { status: reply.status, title: pageTitle(reply.body), body: reply.body };
}

/**
 * Logs `user` in through wp-login.php and returns the roles WordPress gives them (read from the REST
 * API, `/wp/v2/users/me?context=edit`, authenticated by the login cookies and a REST nonce).
 * Throws when the login is refused.
 */
export async function wordpressLogin(baseUrl: string, user: string, password: string): Promise<string[]> {
  const base = baseUrl.replace(/\/$/, '');
  const cookies = new Cookies({ wordpress_test_cookie: 'WP%20Cookie%20check' });
  await request(`${base}/wp-login.php`, { cookies });
  const form = new URLSearchParams({ log: user, pwd: password, 'wp-submit': 'Log In', redirect_to: `${base}/wp-admin/`, testcookie: '1' });
  const login = await request(`${base}/wp-login.php`, {
    method: 'POST', cookies, body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (login.status !== 302 || !cookies.names().some((name) => name.startsWith('wordpress_logged_in_'))) {
    const error = /<div id="login_error"[^>]*>([\s\S]*?)<\/div>/.exec(login.body)?.[1].replace(/<[^>]+>/g, '').trim();
    throw new Error(`login of ${user} refused: HTTP ${login.status}${error ? `, "${error}"` : ''}`);
  }
  const nonce = await request(`${base}/wp-admin/admin-ajax.php?action=rest-nonce`, { cookies });
  if (nonce.status !== 200 || !/^[0-9a-f]+$/.test(nonce.body.trim())) {
    throw new Error(`no REST nonce for ${user}: HTTP ${nonce.status} ${nonce.body.slice(0, 100)}`);
  }
  // `rest_route` works whatever the permalink settings are.
  const me = await request(`${base}/?rest_route=/wp/v2/users/me&context=edit`, { cookies, headers: { 'x-wp-nonce': nonce.body.trim() } });
  if (me.status !== 200) throw new Error(`users/me for ${user}: HTTP ${me.status} ${me.body.slice(0, 200)}`);
  const profile = JSON.parse(me.body) as { slug?: string; username?: string; roles?: string[] };
  if (profile.username !== user || !Array.isArray(profile.roles)) {
    throw new Error(`users/me answered for ${profile.username ?? '?'} with roles ${JSON.stringify(profile.roles)}`);
  }
  return profile.roles;
}

/** S5: the home page answers 200 and shows the site's title. */
export function probeWordpressHome(baseUrl: string, title: string): Promise<ProbeResult> {
  return probe('S5', `WordPress home page at ${baseUrl} shows "${title}"`, async () => {
    const home = await wordpressHome(baseUrl);
    expectThat(home.status === 200, `HTTP ${home.status}`);
    expectThat(home.title.includes(title), `page title is "${home.title}"`);
    return `HTTP 200, title "${home.title}"`;
  });
}

/** S5: `user` logs in and has `role`. */
export function probeWordpressUser(baseUrl: string, user: string, password: string, role: string): Promise<ProbeResult> {
  return probe('S5', `WordPress user ${user} logs in as ${role}`, async () => {
    const roles = await wordpressLogin(baseUrl, user, password);
    expectThat(roles.includes(role), `${user} has roles ${roles.join(', ') || '(none)'}`);
    return `${user} logged in, roles: ${roles.join(', ')}`;
  });
}
