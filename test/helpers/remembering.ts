// Signing in with and without "Remember this browser", for the route tests of remembered browsers
// and of "Your sessions".
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { ALICE } from './test-app.ts';
import type { TestApp, TestClient } from './test-app.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';

export const DAY = 24 * 60 * 60 * 1000;
export const HTTPS = { 'x-forwarded-proto': 'https' };
/** A second account, inserted with must_change_password 0 (addBob). */
export const BOB = { email: 'bob@example.com', password: 'bob has a long password', phone: '+15555550111' };
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const setCookies = (res: { headers: Record<string, unknown> }) =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);

/** A 303 into the site: home (a first full sign-in's recovery codes are shown there, not on the way). */
export function expectSignedIn(answer: { statusCode: number; headers: Record<string, unknown> }) {
  expect(answer.statusCode).toBe(303);
  expect(answer.headers.location).toBe('/');
}

/** The password step from a fresh login page (so the form's CSRF token is current). */
export async function passwordStep(c: TestClient, who: { email: string; password: string } = ALICE) {
  await c.get('/login');
  return c.post('/login', { email: who.email, password: who.password });
}

/** A full sign-in with a code, ticking "Remember this browser" unless told not to. */
export async function signInWithCode(t: TestApp, c: TestClient, { remember = true, who = ALICE as typeof ALICE } = {}) {
  expect((await passwordStep(c, who)).headers.location).toBe('/login/code');
  await c.get('/login/code');
  const done = await c.post('/login/code', { code: t.sim.lastCode(who.phone) as string, ...(remember ? { remember: '1' } : {}) });
  expectSignedIn(done);
  return done;
}

export async function signOut(c: TestClient) {
  await c.get('/');
  expect((await c.post('/logout')).headers.location).toBe('/login');
}

export const rememberedRows = (t: TestApp) =>
  t.sql('SELECT token_hash, user_id, created_at, expires_at FROM remembered_browsers ORDER BY created_at');

/** Verify requests started (v2 `POST /v2/verify`, legacy `POST /verify/json`): codes sent. */
export const verifyStarts = (t: TestApp) =>
  t.sim.requests.filter((r) => r.method === 'POST' && /^\/(v2\/verify|verify\/json)$/.test(r.path.split('?')[0])).length;

export async function addBob(t: TestApp) {
  await t.sql('INSERT INTO users (email, phone, password_hash, must_change_password) VALUES ($1, $2, $3, 0)', [
    BOB.email,
    BOB.phone,
    await hashPassword(BOB.password),
  ]);
}
