// "Check the signed-in user's password again under the sign-in's budgets": the address's budget,
// then the account's and the device's password budgets (the same counters as POST /login, so a
// wrong password here brings the lockout as near as a wrong one at sign-in), then argon2 against
// the stored hash as it is now. Used by the recent sign-in check (/account/confirm).
import type { FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import { normalizeEmail } from '../accounts/email.ts';
import { verifyPassword } from '../accounts/passwords.ts';
import { addressKey } from '../http/address-key.ts';

export type PasswordCheck =
  | { ok: true; account: Account }
  | { ok: false; status: 400 | 401 | 429; message: string; retryAfterMs?: number };

/** `detail` names what the password was asked for, on the audit rows. */
export async function checkPasswordAgain(request: FastifyRequest, account: Account, password: string, detail: string): Promise<PasswordCheck> {
  const { accounts, audit, budgets, limits, signIn } = request.server;
  const userId = account.id;
  const address = addressKey(request.ip);
  const perAddress = await limits.consume(['password-ip', address]);
  if (!perAddress.ok) {
    if (perAddress.first) await audit.record('password-throttled', request, { userId, detail: `${detail} address` });
    return { ok: false, status: 429, message: 'Too many password attempts from your network.', retryAfterMs: perAddress.retryAfterMs };
  }
  if (password.length === 0) return { ok: false, status: 400, message: 'Enter your password.' };

  const attempt = { email: normalizeEmail(account.email), ip: address, device: signIn.cookies.deviceKey(request, account.email) };
  const reservation = await budgets.reservePassword(attempt);
  if (!reservation.verdict.ok) {
    if (reservation.verdict.first) await audit.record('password-throttled', request, { userId, detail });
    return { ok: false, status: 429, message: 'Too many password attempts.', retryAfterMs: reservation.verdict.retryAfterMs };
  }
  // The stored hash as it is now (the gate's copy may be a few seconds old).
  const current = await accounts.findById(userId);
  if (!current || !(await verifyPassword(current.passwordHash, password)).ok) {
    await audit.record('password-failed', request, { userId, detail });
    if (budgets.lockedAccount(reservation)) await audit.record('account-locked', request, { userId, detail: 'password' });
    return { ok: false, status: 401, message: 'That password is not right.' };
  }
  await budgets.passwordSucceeded(attempt);
  await audit.record('password-ok', request, { userId, detail });
  return { ok: true, account: current };
}
