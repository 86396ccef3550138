// An account as an admin seeds it (the contract's INSERT: must_change_password keeps its default,
// 1), and signing any account in through both steps.
import { expect } from 'vitest';
import { hashPassword } from '../../src/accounts/passwords.ts';
import type { TestApp, TestClient } from './test-app.ts';

export interface TestAccount {
  email: string;
  phone: string;
  password: string;
}

export const SEEDED: TestAccount = { email: 'sam.seeded@example.com', phone: '+15555550142', password: 'the admin picked this one' };

/**
 * Inserts the account with no must_change_password named (so 1); returns its id. Unless told
 * otherwise it has had recovery codes (one, spent, as the test seed gives Alice), so its first
 * sign-in is not first shown a new set.
 */
export async function seedAccount(t: TestApp, account: TestAccount = SEEDED, { hadRecoveryCodes = true } = {}): Promise<number> {
  await t.sql('INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', [account.email, account.phone, await hashPassword(account.password)]);
  const [{ id }] = await t.sql('SELECT id FROM users WHERE email = $1', [account.email]);
  if (hadRecoveryCodes) {
    await t.sql("INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, 'spent-in-the-test-seed', 0, 0)", [id]);
  }
  return Number(id);
}

/** GETs `location` and every redirect after it; returns each location visited and the last answer. */
export async function follow(c: TestClient, location: string) {
  const visited = [location];
  let res = await c.get(location);
  while (res.statusCode === 303 && visited.length < 10) {
    visited.push(String(res.headers.location));
    res = await c.get(String(res.headers.location));
  }
  return { visited, res };
}

/** Password step then code step; returns the code step's answer. */
export async function signInAs(t: TestApp, c: TestClient, account: TestAccount) {
  const login = await c.post('/login', { email: account.email, password: account.password });
  expect(login.headers.location).toBe('/login/code');
  await c.get('/login/code');
  return c.post('/login/code', { code: t.sim.lastCode(account.phone) as string });
}
