// For the browser tests that walk pages: axe-core's audit of the page in front of the browser, at a
// phone's and a desktop's width, and form submissions that a disabled button or a forged field
// would otherwise keep a user from making.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
/**
 * axe-core's source, evaluated through the DevTools protocol: a `<script>` added to the page
 * (page.addScriptTag) would be refused by the pages' CSP, and relaxing the CSP for the audit would
 * let a page's own CSP violations go unseen.
 */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const WIDTHS = [
  ['phone', { width: 375, height: 740 }],
  ['desktop', { width: 1280, height: 800 }],
] as const;

/** axe-core's serious and critical violations on the page as it is now, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate<boolean>(`typeof window.axe === 'object'`))) await page.evaluate(AXE_SOURCE);
  // Strings, not functions: tsconfig has no DOM types, and the page evaluates them all the same.
  return page.evaluate<string[]>(`
    axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')'))
  `);
}

/**
 * The page at both widths: nothing wider than the screen, and no serious or critical axe
 * violation. Soft assertions: one run names every page that fails, not just the first.
 */
export async function auditPage(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const [width, size] of WIDTHS) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect.soft(overflow, `${name} at ${width} width: sideways scroll in px`).toBeLessThanOrEqual(0);
    expect.soft(await seriousViolations(page), `${name} at ${width} width: axe serious or critical violations`).toEqual([]);
  }
  if (before) await page.setViewportSize(before);
}

/** The status of the page the browser shows after `act` (a form sent, a link followed): redirects followed. */
export async function nextPageStatus(page: Page, act: () => Promise<unknown>): Promise<number> {
  const loaded = page.waitForEvent('load');
  await act();
  await loaded;
  return page.evaluate<number>(`performance.getEntriesByType('navigation')[0].responseStatus`);
}

/** Submits a page's form the way its button would, even while the button is disabled. */
export function submitForm(page: Page, action: string): Promise<number> {
  return nextPageStatus(page, () => page.evaluate(`document.querySelector('form[action="${action}"]').requestSubmit()`));
}
