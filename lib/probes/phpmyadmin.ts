/**
 * phpMyAdmin probes (S6 directly on its port, S7 behind nginx's /phpmyadmin/): the login page and
 * its assets load, and a cookie login with the database credentials works without any redirect
 * leaving the base URL: behind a proxy's sub-path, phpMyAdmin cannot know the prefix and, unless
 * told its absolute URI, redirects after login to /index.php at the root (a maintainer's answer in
 * phpmyadmin/phpmyadmin issue 12374; srcs/phpmyadmin/config.inc.php). `baseUrl` ends with `/`, e.g.
 * `https://IP:5000/` or `https://IP/phpmyadmin/`.
 */
import { CookieJar, httpRequest, Trust } from './http';
import { expectThat, probe, ProbeResult } from './probe';

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? match[1].replace(/&amp;/g, '&') : undefined;
}

/** The login form's target and fields (hidden inputs: token, set_session, server...). */
function loginForm(html: string, baseUrl: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*id="login_form"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  expectThat(form !== null, 'no login form (id="login_form") on the page');
  const fields: Record<string, string> = {};
  for (const [input] of form[1].matchAll(/<input[^>]*>/gi)) {
    const name = attribute(input, 'name');
    if (name && attribute(input, 'type') === 'hidden') fields[name] = attribute(input, 'value') ?? '';
  }
  expectThat(fields.token !== undefined, 'the login form has no token');
  const action = new URL(attribute(form[0], 'action') ?? '', baseUrl).toString();
  return { action, fields };
}

function expectUnder(url: string, baseUrl: string, what: string): void {
  expectThat(url.startsWith(baseUrl), `${what} ${url} leaves ${baseUrl}`);
}

/** GET `baseUrl`: the login form with username and password inputs, and every script and stylesheet it references loads (200) under `baseUrl`. */
export function phpMyAdminLoginPage(requirement: string, baseUrl: string, trust: Trust = {}): Promise<ProbeResult> {
  return probe(requirement, `${baseUrl} serves phpMyAdmin's login page and its assets`, async () => {
    const page = await httpRequest(baseUrl, trust);
    expectThat(page.status === 200, `got ${page.status}`);
    for (const id of ['input_username', 'input_password']) expectThat(page.body.includes(`id="${id}"`), `no ${id} input on the page`);
    loginForm(page.body, baseUrl);
    const assets = new Set<string>();
    for (const [tag] of page.body.matchAll(/<script[^>]*\ssrc="[^"]*"[^>]*>|<link[^>]*rel="stylesheet"[^>]*>/gi)) {
      const reference = attribute(tag, 'src') ?? attribute(tag, 'href');
      if (reference) assets.add(new URL(reference, baseUrl).toString());
    }
    expectThat(assets.size > 0, 'the page references no scripts or stylesheets');
    const failed: string[] = [];
    for (const asset of assets) {
      expectUnder(asset, baseUrl, 'asset');
      const reply = await httpRequest(asset, trust);
      if (reply.status !== 200) failed.push(`${asset}: ${reply.status}`);
    }
    expectThat(failed.length === 0, `assets failed: ${failed.join(', ')}`);
    return `login form, ${assets.size} scripts/stylesheets load`;
  });
}

/**
 * Logs in through the cookie login form (GET token and cookies, POST the form, follow the
 * redirects with the cookies): passes when the final page is phpMyAdmin's main page for `user`
 * and every redirect stayed under `baseUrl` (same scheme, host, port and path prefix).
 */
export function phpMyAdminLogin(requirement: string, baseUrl: string, user: string, password: string, trust: Trust = {}): Promise<ProbeResult> {
  return probe(requirement, `${user} logs in to phpMyAdmin at ${baseUrl}`, async () => {
    const cookies = new CookieJar();
    const page = await httpRequest(baseUrl, trust);
    expectThat(page.status === 200, `login page: got ${page.status}`);
    cookies.store(page);
    const form = loginForm(page.body, baseUrl);
    expectUnder(form.action, baseUrl, 'the login form posts to');
    const body = new URLSearchParams({ ...form.fields, pma_username: user, pma_password: password }).toString();
    let reply = await httpRequest(form.action, {
      ...trust, method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.header() },
    });
    cookies.store(reply);
    const hops: string[] = [];
    while (reply.status >= 300 && reply.status < 400) {
      expectThat(hops.length < 5, `too many redirects: ${hops.join(' -> ')}`);
      const location = new URL(String(reply.headers.location), hops[hops.length - 1] ?? form.action).toString();
      expectUnder(location, baseUrl, 'redirect to');
      hops.push(location);
      reply = await httpRequest(location, { ...trust, headers: { cookie: cookies.header() } });
      cookies.store(reply);
    }
    expectThat(reply.status === 200, `after login: got ${reply.status}`);
    if (reply.body.includes('id="input_password"')) {
      // phpMyAdmin shows the server's refusal (e.g. "#1045 - Access denied…") above the form.
      const reason = /#\d{4} - [^<]*|Cannot log in to the MySQL server[^<]*/.exec(reply.body)?.[0];
      throw new Error(`still on the login page: ${reason ?? 'no error shown'}`);
    }
    // The main page hands its state to the JS: CommonParams.setAll({...logged_in:true,...user:"<user>"}).
    expectThat(/\blogged_in:true\b/.test(reply.body), 'the page after login is not a logged-in page');
    const loggedInAs = /\buser:"([^"]*)"/.exec(reply.body)?.[1];
    expectThat(loggedInAs === user, `the main page is for user ${loggedInAs ?? '(none)'}, not ${user}`);
    // The home page lists configuration problems, e.g. a blowfish secret of the wrong length
    // or a TempDir that php-fpm cannot write.
    const problem = /[^>]*(cookie encryption|TempDir)[^<]*/.exec(reply.body)?.[0];
    expectThat(problem === undefined, `phpMyAdmin reports a configuration problem: ${problem?.trim()}`);
    return `logged in as ${user}; redirects: ${hops.join(' -> ') || 'none'}`;
  });
}
