/**
 * The WordPress site of our image (see wordpress.test.ts) in a real headless browser (B5): the home
 * page renders with its title, with no failed request or 4xx/5xx asset. The screenshot is kept in
 * test-output/ for a person to look at.
 */
import * as fs from 'fs';
import * as path from 'path';
import { chromium, Browser } from 'playwright-core';
import { OUTPUT_ROOT, stopAll } from './support/harness';
import { startWordpress, WordpressSite } from './support/wordpress';

const CHROMIUM = '/usr/bin/chromium';

let site: WordpressSite;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install chromium (.ci/install-host-packages)`);
  site = await startWordpress('browser-wordpress');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

test('S5 B5 the home page renders in a browser with the site title visible and every asset loaded', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true });
  const problems: string[] = [];
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`); });

  const response = await page.goto(`${site.baseUrl}/`, { waitUntil: 'load', timeout: 30000 });
  expect(response?.status()).toBe(200);
  expect(await page.title()).toBe(site.title);
  // The visible site title of the theme's header, not just the <title> tag.
  await expect(page.getByText(site.title).first().isVisible()).resolves.toBe(true);
  expect(page.url()).toBe(`${site.baseUrl}/`);

  fs.mkdirSync(OUTPUT_ROOT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT_ROOT, 'wordpress-home.png'), fullPage: false });
  expect(problems).toEqual([]);
});
