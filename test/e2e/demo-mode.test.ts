// `npm start` with no configuration: the real server process in demo mode, signed into from Chromium
// with the demo account and the code printed on the server log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, mainText, openPage, submitCode, submitPassword, textOf } from './helpers.ts';
import { startDemoServer } from './demo-server.ts';
import type { DemoServer } from './demo-server.ts';

const DEMO = { email: 'demo@example.com', password: 'demo-password' };

describe('the server in demo mode', () => {
  let browser: Browser;
  let server: DemoServer;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchBrowser(), startDemoServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in as the demo account with the code from the server log', async () => {
    expect(server.output.join('\n')).toMatch(/demo mode/i);
    const { context, page, problems } = await openPage(browser);
    try {
      await page.goto(`${server.base}/`);
      expect(page.url()).toBe(`${server.base}/login`);
      const hint = await textOf(page, '.demo');
      expect(hint).toContain(DEMO.email);
      expect(hint).toContain(DEMO.password);

      const seen = server.codes.length;
      await submitPassword(page, DEMO.email, DEMO.password);
      expect(await mainText(page)).toContain('+1 ••• ••• 0100');
      await submitCode(page, await server.nextCode(seen));

      // The demo account's first full sign-in lands on the home page, which shows its recovery
      // codes once, at the top.
      expect(page.url()).toBe(`${server.base}/`);
      expect(await textOf(page, 'h1')).toBe('You are signed in');
      expect(await mainText(page)).toContain(DEMO.email);
      const panel = page.getByRole('region', { name: 'Your recovery codes — shown once' });
      expect(await panel.locator('li code').count()).toBe(10);
      expect(await panel.innerText()).toContain('Store them somewhere safe; each works once if you lose your phone.');
      await page.reload();
      expect(await mainText(page)).toContain(DEMO.email);
      expect(await page.getByRole('region', { name: 'Your recovery codes — shown once' }).count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    // Demo mode keeps its generated session secret beside the database, not in the repository.
    expect(existsSync(join(server.dir, 'data', 'session-secret'))).toBe(true);
  });
});
