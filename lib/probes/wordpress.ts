/**
 * WordPress probes (S5): the home page serves the site, and each configured user logs in through
 * wp-login.php and holds the expected role. Endpoints and credentials are arguments; the server's
 * certificate is not verified (the stack's certificate is self-signed, B2).
 */
import { CookieJar, httpRequest, HttpReply } from './http';
import { expectThat, probe, ProbeResult } from './probe';

/** The stack's certificate is self-signed (B2). */
const TRUST = { insecure: true } as const;

/** One request carrying, and then storing, the visit's cookies. */
async function request(url: string, cookies: CookieJar, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> {
  const reply = await httpRequest(url, { ...TRUST, ...options, headers: { ...options.headers, cookie: cookies.header() } });
  cookies.store(reply);
  return reply;
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
  const reply = await httpRequest(`${baseUrl.replace(/\/$/, '')}/`, TRUST);
  return { status: reply.status, title: pageTitle(reply.body), body: reply.body };
}

/**
 * Logs `user` in through wp-login.php and returns the roles WordPress gives them (read from the REST
 * API, `/wp/v2/users/me?context=edit`, authenticated by the login cookies and a REST nonce).
 * Throws when the login is refused.
 */
export async function wordpressLogin(baseUrl: string, user: string, password: string): Promise<string[]> {
  const base = baseUrl.replace(/\/$/, '');
  const cookies = new CookieJar({ wordpress_test_cookie: 'WP%20Cookie%20check' });
  await request(`${base}/wp-login.php`, cookies);
  const form = new URLSearchParams({ log: user, pwd: password, 'wp-submit': 'Log In', redirect_to: `${base}/wp-admin/`, testcookie: '1' });
  const login = await request(`${base}/wp-login.php`, cookies, {
    method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (login.status !== 302 || !cookies.names().some((name) => name.startsWith('wordpress_logged_in_'))) {
    const error = /<div id="login_error"[^>]*>([\s\S]*?)<\/div>/.exec(login.body)?.[1].replace(/<[^>]+>/g, '').trim();
    throw new Error(`login of ${user} refused: HTTP ${login.status}${error ? `, "${error}"` : ''}`);
  }
  const nonce = await request(`${base}/wp-admin/admin-ajax.php?action=rest-nonce`, cookies);
  if (nonce.status !== 200 || !/^[0-9a-f]+$/.test(nonce.body.trim())) {
    throw new Error(`no REST nonce for ${user}: HTTP ${nonce.status} ${nonce.body.slice(0, 100)}`);
  }
  // `rest_route` works whatever the permalink settings are.
  const me = await request(`${base}/?rest_route=/wp/v2/users/me&context=edit`, cookies, { headers: { 'x-wp-nonce': nonce.body.trim() } });
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
