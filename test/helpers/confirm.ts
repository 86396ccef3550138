// The recent sign-in check through HTTP, as a browser meets it: an action answers 303
// /account/confirm; the password, then the code from the phone, and back to the action's page.
import { expect } from 'vitest';
import { ALICE } from './test-app.ts';
import type { TestApp, TestClient } from './test-app.ts';

export const CONFIRM = '/account/confirm';
/** Just past the default STEP_UP_MINUTES (10). */
export const PAST_STEP_UP_MS = 10 * 60 * 1000 + 1000;

/** Moves the test's clock `ms` forward (Redis's keys with it). */
export const later = (t: TestApp, ms: number) => t.moveClock(Date.now() + ms);

/** On the confirm page: the password right, so a code went to Alice's phone. */
export async function confirmPassword(t: TestApp, c: TestClient): Promise<string> {
  await c.get(CONFIRM);
  const sent = await c.post(CONFIRM, { password: ALICE.password });
  expect(sent.statusCode).toBe(303);
  expect(sent.headers.location).toBe(CONFIRM);
  const page = await c.get(CONFIRM);
  expect(page.body).toContain('+1 ••• ••• 0100');
  return t.sim.lastCode(ALICE.phone) as string;
}

/** The whole confirmation; returns where it sent the browser back to. */
export async function confirm(t: TestApp, c: TestClient): Promise<string | undefined> {
  const code = await confirmPassword(t, c);
  const done = await c.post(CONFIRM, { code });
  expect(done.statusCode).toBe(303);
  return done.headers.location;
}

export const wrongCodeFor = (code: string) => (code.startsWith('0') ? '1' : '0') + code.slice(1);
