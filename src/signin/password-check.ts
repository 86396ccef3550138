// "Check a password under the budgets", written once: the password step, the password change and
// any other page that asks for the current password (the recovery-code renewal) take the same
// counters before argon2 runs, forgive this browser's failures on a right one, and audit the same
// way. Each caller says how its events are named; what it answers is its own.
import type { FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import type { AuditEvent } from '../accounts/audit-log.ts';
import { isArgon2idPhc, verifyAgainstDummy, verifyPassword } from '../accounts/passwords.ts';
import { addressKey } from '../http/address-key.ts';
import type { Verdict } from '../state/limits.ts';

export interface PasswordCheckRequest {
  /** The email the budgets are keyed by, normalised. */
  email: string;
  password: string;
  /** The account's id when the caller knows it (a signed-in page), for the audit of a refusal. */
  userId?: number;
  /** The account the password must be, read only once the budgets let the check run; undefined (an
   * unknown email) is checked against a dummy hash, as slow as a real one. */
  account: () => Promise<Account | undefined>;
  /** How the audit log names this check's outcomes. */
  audit: {
    /** The `detail` of `password-throttled` (the refusing budget's name when absent). */
    throttled?: (limit: string) => string;
    failed: { event: AuditEvent; detail?: string };
    /** The `detail` of `account-locked` when this failure took the account-wide budget's last point. */
    locked: string;
    /** Recorded as `password-ok` with this detail; nothing is recorded when absent. */
    ok?: { detail?: string };
  };
}

export type PasswordCheck =
  | { ok: true; throttled?: undefined; account: Account; needsRehash: boolean }
  | { ok: false; throttled: Verdict & { ok: false } }
  | { ok: false; throttled?: undefined; account?: Account };

export async function checkPasswordUnderBudgets(request: FastifyRequest, check: PasswordCheckRequest): Promise<PasswordCheck> {
  const { audit, budgets, signIn } = request.server;
  const attempt = { email: check.email, ip: addressKey(request.ip), device: signIn.cookies.deviceKey(request, check.email) };
  const reservation = await budgets.reservePassword(attempt);
  const { verdict } = reservation;
  if (!verdict.ok) {
    const detail = check.audit.throttled ? check.audit.throttled(verdict.limit) : verdict.limit;
    if (verdict.first) await audit.record('password-throttled', request, { userId: check.userId, detail });
    return { ok: false, throttled: verdict };
  }
  const account = await check.account();
  const result = account ? await verifyPassword(account.passwordHash, check.password) : await verifyAgainstDummy(check.password);
  if (!account || !result.ok) {
    if (account && !isArgon2idPhc(account.passwordHash)) {
      // Stored before migrations/0005 refused such hashes: no password can ever match it.
      request.log.warn({ userId: account.id }, 'stored password hash is not a whole argon2id hash: this account cannot sign in until an admin replaces it');
    }
    await audit.record(check.audit.failed.event, request, { userId: account?.id, detail: check.audit.failed.detail });
    if (budgets.lockedAccount(reservation)) await audit.record('account-locked', request, { userId: account?.id, detail: check.audit.locked });
    return { ok: false, account };
  }
  await budgets.passwordSucceeded(attempt);
  if (check.audit.ok) await audit.record('password-ok', request, { userId: account.id, detail: check.audit.ok.detail });
  return { ok: true, account, needsRehash: result.needsRehash };
}
