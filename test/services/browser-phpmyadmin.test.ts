/**
 * phpMyAdmin in a real headless browser (B5): directly on its own port (S6) and through nginx's
 * /phpmyadmin/ reverse proxy (S7). A curl-level check misses what only a browser shows (scripts
 * that 404 leave the login form hidden, redirects that leave the prefix), so every response the
 * page loads is watched. Screenshots go to test-output/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Browser } from 'playwright-core';
import { launchChromium, watchedPage } from './support/browser';
import { OUTPUT_ROOT } from './support/harness';
import { MysqlDatabase } from './support/mysql';
import { PhpMyAdminBehindNginx, PhpMyAdminContainer, startPhpMyAdminBehindNginx, stopPhpMyAdminBehindNginx } from './support/phpmyadmin';


let browser: Browser;
let fixture: PhpMyAdminBehindNginx | undefined;
let mysql: MysqlDatabase;
let pma: PhpMyAdminContainer;
let proxied: string;

function screenshot(name: string): string {
  fs.mkdirSync(OUTPUT_ROOT, { recursive: true });
  return path.join(OUTPUT_ROOT, `browser-phpmyadmin-${name}.png`);
}

beforeAll(async () => {
  fixture = await startPhpMyAdminBehindNginx('browser-pma');
  ({ mysql, pma, proxied } = fixture);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopPhpMyAdminBehindNginx(fixture);
});

test('B5 S6 the login form shows in a browser at https://IP:port/, with every asset loaded', async () => {
  const { page, problems } = await watchedPage(browser);
  const response = await page.goto(pma.url, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  await expect(page.locator('#input_username').isVisible()).resolves.toBe(true);
  await expect(page.locator('#input_password').isVisible()).resolves.toBe(true);
  await page.screenshot({ path: screenshot('direct-login') });
  expect(problems).toEqual([]);
});

test('B5 S7 the login form shows in a browser through nginx at /phpmyadmin/, with every asset loaded', async () => {
  const { page, problems, requested } = await watchedPage(browser);
  const response = await page.goto(proxied, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  await expect(page.locator('#input_username').isVisible()).resolves.toBe(true);
  await expect(page.locator('#input_password').isVisible()).resolves.toBe(true);
  await page.screenshot({ path: screenshot('proxied-login') });
  expect(problems).toEqual([]);
  expect(requested.filter((url) => !url.startsWith(proxied))).toEqual([]);
});

test('B5 S7 logging in through nginx in a browser reaches phpMyAdmin\'s main page, never leaving /phpmyadmin/', async () => {
  const { page, problems, requested } = await watchedPage(browser);
  await page.goto(proxied, { waitUntil: 'load' });
  await page.fill('#input_username', mysql.user);
  await page.fill('#input_password', mysql.password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#input_go')]);
  expect(page.url().startsWith(proxied)).toBe(true);
  // The navigation panel lists the databases the user may see: ours is there.
  await page.locator('#pma_navigation_tree').getByText(mysql.database, { exact: true }).first().waitFor({ state: 'visible', timeout: 15000 });
  await expect(page.locator('#input_password').count()).resolves.toBe(0);
  await page.screenshot({ path: screenshot('proxied-logged-in') });
  expect(problems).toEqual([]);
  expect(requested.filter((url) => !url.startsWith(proxied))).toEqual([]);
});
