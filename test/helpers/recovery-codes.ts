// Recovery codes through HTTP, as a browser gets and types them.
import { expect } from 'vitest';
import { ALICE } from './test-app.ts';
import type { TestApp, TestClient } from './test-app.ts';

/** The codes on a page's one-time panel, as shown ("1234 5678 9012 3456"). */
export function codesOn(body: string): string[] {
  return [...body.matchAll(/<code>(\d{4} \d{4} \d{4} \d{4})<\/code>/g)].map((match) => match[1]);
}

/** The one-time panel's heading: on a page exactly when it shows new codes. */
export const CODES_PANEL_HEADING = 'Your recovery codes — shown once';

/** The panel, whole, as the layout renders it on the first full page after new codes are made. */
export function expectCodesPanel(body: string): string[] {
  expect(body).toContain('<section class="one-time-codes" aria-labelledby="one-time-codes-heading">');
  expect(body).toContain(`<h2 id="one-time-codes-heading">${CODES_PANEL_HEADING}</h2>`);
  expect(body).toContain('Store them somewhere safe; each works once if you lose your phone.');
  expect(body.split(CODES_PANEL_HEADING)).toHaveLength(2); // once, not twice
  const codes = codesOn(body);
  expect(new Set(codes).size).toBe(10);
  // At the top of the page's content: before the page's own heading.
  expect(body.indexOf(CODES_PANEL_HEADING)).toBeLessThan(body.indexOf('<h1>'));
  return codes;
}

/** No recovery code on the page, nor its panel. */
export function expectNoCodes(body: string): void {
  expect(body).not.toContain(CODES_PANEL_HEADING);
  expect(hasRecoveryCodeShape(body)).toBe(false);
}

/** Any 16-digit run on a page (grouped or not): no recovery code may be there. */
export function hasRecoveryCodeShape(text: string): boolean {
  return /\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}/.test(text);
}

/** A browser that has passed the password step and is on the code page. */
export async function pendingClient(t: TestApp, c: TestClient = t.client()): Promise<TestClient> {
  const login = await c.post('/login', { email: ALICE.email, password: ALICE.password });
  expect(login.headers.location).toBe('/login/code');
  await c.get('/login/code');
  return c;
}

/**
 * Alice as an account that has never had recovery codes (the test seed gives her a spent one):
 * signs in with the Verify code, is sent home as always, and reads the ten codes off the home page.
 */
export async function firstSignIn(t: TestApp): Promise<{ c: TestClient; codes: string[]; body: string }> {
  await t.sql('DELETE FROM recovery_codes');
  const c = await pendingClient(t);
  const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
  expect(done.statusCode).toBe(303);
  expect(done.headers.location).toBe('/');
  const page = await c.get('/');
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain(ALICE.email);
  const codes = expectCodesPanel(page.body);
  expect(codes).toHaveLength(10);
  return { c, codes, body: page.body };
}

/** A 16-digit code that is none of these. */
export function notOneOf(codes: string[]): string {
  for (;;) {
    const candidate = Array.from({ length: 16 }, () => Math.floor(Math.random() * 10)).join('');
    if (!codes.some((code) => code.replaceAll(' ', '') === candidate)) return candidate;
  }
}

export const isCheck = (r: { method: string; path: string }) => r.method === 'POST' && /check|\/v2\/verify\/[\w-]+$/.test(r.path);
export const isCancel = (r: { method: string; path: string; body?: unknown }) =>
  (r.method === 'DELETE' && /\/v2\/verify\/[\w-]+$/.test(r.path)) || (/\/verify\/control\/json$/.test(r.path) && (r.body as { cmd?: string })?.cmd === 'cancel');
