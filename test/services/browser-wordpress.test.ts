/**
 * The WordPress site of our image (see wordpress.test.ts) in a real headless browser (B5): the home
 * page renders with its title, with no failed request or 4xx/5xx asset. The screenshot is kept in
 * test-output/ for a person to look at.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Browser } from 'playwright-core';
import { launchChromium, watchedPage } from './support/browser';
import { OUTPUT_ROOT, stopAll } from './support/harness';
import { startWordpress, WordpressSite } from './support/wordpress';

let site: WordpressSite;
let browser: Browser;

beforeAll(async () => {
  site = await startWordpress('browser-wordpress');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopAll();
});

test('S5 B5 the home page renders in a browser with the site title visible and every asset loaded', async () => {
  const { page, problems } = await watchedPage(browser);

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
