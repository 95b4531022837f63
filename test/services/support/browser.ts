/** Headless Chromium (Debian's) driven by playwright-core, for the browser tests of B5. */
import * as fs from 'fs';
import { Browser, chromium, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Starts Chromium headless. This machine's network is closed, so everything that would phone home
 * (background networking, component updates, sync, QUIC) is off.
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install chromium (.ci/install-host-packages)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  readonly page: Page;
  /** Responses >= 400, failed requests and console errors, as `what: url`. */
  readonly problems: string[];
  /** Every URL the page requested. */
  readonly requested: string[];
}

/** A page in a fresh context (no cookies shared with other pages), watched for anything that fails. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const requested: string[] = [];
  page.on('request', (request) => { requested.push(request.url()); });
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`); });
  page.on('requestfailed', (request) => { problems.push(`failed (${request.failure()?.errorText}): ${request.url()}`); });
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
  return { page, problems, requested };
}
