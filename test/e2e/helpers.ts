// Shared by the browser tests: Debian's Chromium through playwright-core, the app served on a random
// loopback port, a page that records console errors and CSP violations, and the sign-in form steps.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { Api, TestApp } from '../helpers/test-app.ts';
import { launchBrowser } from './chromium.ts';

export { ALICE, launchBrowser };
export { withVirtualAuthenticator } from './virtual-authenticator.ts';
export type { VirtualAuthenticator, VirtualCredential } from './virtual-authenticator.ts';

export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-results', 'e2e');


export interface ServedApp {
  t: TestApp;
  /** e.g. http://127.0.0.1:40123 */
  base: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /**
   * Served as http://localhost:PORT with PUBLIC_ORIGIN to match (passkeys bind to the relying
   * party's host name, which WebAuthn refuses to be an IP address); else http://127.0.0.1:PORT.
   */
  localhost?: boolean;
  /** More of the app's environment (STEP_UP_MINUTES, PASSKEYS, …). */
  env?: Record<string, string>;
}

/** A port nothing listens on now: PUBLIC_ORIGIN names it before the app is built and listens. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The app as the server builds it (Alice seeded, Verify simulator behind it), listening on 127.0.0.1. */
export async function serveTestApp(api: Api, options: ServeOptions = {}): Promise<ServedApp> {
  if (!options.localhost) {
    const t = await startTestApp({ api, env: options.env });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    return { t, base: `http://127.0.0.1:${port}`, close: () => closeServed(t) };
  }
  // Chromium resolves localhost to the loopback address itself (never through DNS).
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const t = await startTestApp({ api, env: { PUBLIC_ORIGIN: base, ...options.env } });
  await t.app.listen({ host: '127.0.0.1', port });
  return { t, base, close: () => closeServed(t) };
}

/**
 * Closes the app without waiting on Chromium's sockets. Node closes idle keep-alive connections
 * once, as closing starts (a request still in flight then keeps its connection for the 72 s
 * keep-alive timeout: src/server.ts closes idle ones every 100 ms for this), and it stops timing
 * connections out: a socket Chromium opened ahead of need (a preconnect) and never sent a request
 * on is not idle to Node and would hold the close past a test's 60 s. Whatever is still open after
 * a second is such a socket, and is cut.
 */
async function closeServed(t: TestApp): Promise<void> {
  const closeIdle = setInterval(() => t.app.server.closeIdleConnections(), 100);
  const cutTheRest = setTimeout(() => t.app.server.closeAllConnections(), 1000);
  try {
    await t.close();
  } finally {
    clearInterval(closeIdle);
    clearTimeout(cutTheRest);
  }
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors (CSP violations among them), page errors, failed or 4xx/5xx subresources. */
  problems: string[];
}

/** A fresh context and page that write down everything a user would see in the console. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  // Pages answer 4xx on purpose (a wrong code is a 401 page) and Chromium logs each such document as
  // "Failed to load resource": the tests check those statuses themselves. Subresources never should.
  const documentsWithErrorStatus = new Set<string>();
  page.on('response', (res) => {
    if (res.status() < 400) return;
    if (res.request().resourceType() === 'document') documentsWithErrorStatus.add(res.url());
    else problems.push(`${res.status()} for ${res.url()}`);
  });
  page.on('console', (msg) => {
    const where = msg.location().url;
    if (/^Failed to load resource/.test(msg.text()) && documentsWithErrorStatus.has(where)) return;
    if (msg.type() !== 'error' && !/Content Security Policy/i.test(msg.text())) return;
    // No exception for /favicon.ico: pages name their icon (signin.test.ts checks it loads), so
    // Chromium only asks for /favicon.ico when a page lost its icon link, and that is a problem.
    problems.push(`console ${msg.type()}: ${msg.text()} (${where})`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => {
    // Chromium cancels what a page was still loading (its icon, say) when a click leaves the page.
    if (req.failure()?.errorText === 'net::ERR_ABORTED' && req.resourceType() !== 'document') return;
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  return { context, page, problems };
}

/** The visible text of the page's card. */
export function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

/** The text of the first element matching a selector, once it is there. */
export async function textOf(page: Page, selector: string): Promise<string> {
  const element = page.locator(selector).first();
  await element.waitFor();
  return (await element.innerText()).trim();
}

export async function submitPassword(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL('**/login/code');
}

/** Types the code key by key, as a user (or the phone's one-time-code autofill) would, and submits. */
export async function submitCode(page: Page, code: string): Promise<void> {
  const input = page.getByLabel('Code');
  await input.fill('');
  await input.pressSequentially(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForLoadState('load');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A code of the same length that is not the right one. */
export function wrongCodeFor(code: string): string {
  return [...code].map((digit) => String((Number(digit) + 1) % 10)).join('');
}

export interface BrowserSuite {
  readonly served: ServedApp;
  /** The current test's page and context. */
  readonly watched: WatchedPage;
  url(path: string): string;
  /** The last code the simulator "sent" to Alice. */
  codeForAlice(): string;
}

/**
 * Registers a browser test file's hooks: one browser for the file; per test a fresh served app (so
 * each test starts with Alice's send budgets and throttles untouched) and a fresh watched page; and
 * the check that the test left no console error or CSP violation. The app runs in the test's own
 * process, so `served.t.moveClock` moves its clock (and real time returns after each test).
 */
export function useBrowserSuite(api: Api, contextOptions: BrowserContextOptions = {}, serveOptions: ServeOptions = {}): BrowserSuite {
  let browser: Browser | undefined;
  let served: ServedApp | undefined;
  let watched: WatchedPage | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    [served, watched] = await Promise.all([serveTestApp(api, serveOptions), openPage(browser as Browser, contextOptions)]);
  });
  afterEach(async () => {
    vi.useRealTimers(); // a test that moved the served app's clock (TestApp.moveClock)
    await watched?.context.close();
    await served?.close();
    served = undefined;
    // Every page a test visited: no console error, no CSP violation, no broken stylesheet.
    expect(watched?.problems).toEqual([]);
  });
  return {
    get served() {
      return served as ServedApp;
    },
    get watched() {
      return watched as WatchedPage;
    },
    url: (path) => (served as ServedApp).base + path,
    codeForAlice: () => (served as ServedApp).t.sim.lastCode(ALICE.phone) as string,
  };
}
