// "Send a code", written once: for a sign-in (the verify-code factor) and for "make new recovery
// codes". Every counter is taken before the call it guards; a Verify call that failed sent
// nothing, so its budget is given back and no cooldown starts.
import type { FastifyRequest } from 'fastify';
import type { Account } from '../../../accounts/account-store.ts';
import type { AuditLog } from '../../../accounts/audit-log.ts';
import type { Budgets } from '../../../state/budgets.ts';
import { phoneAllowed } from '../../../verify/allowed-countries.ts';
import { describeFailure } from '../../../verify/outcome-messages.ts';
import { startVerification } from '../../../verify/start-verification.ts';
import type { VerifyClient } from '../../../verify/verify-client.ts';
import { addressKey } from '../../../http/address-key.ts';
import type { Refusal } from '../factor.ts';

export interface SendCodeDeps {
  verify: VerifyClient;
  budgets: Budgets;
  audit: AuditLog;
  /** Calling codes Verify may send to; empty allows all (VERIFY_ALLOWED_COUNTRIES). */
  allowedCountries: string[];
}

/** `newPhone`: the code goes to a number that is not the account's yet (a phone change): a request already running to it is never taken over. */
export interface SendOptions {
  newPhone?: boolean;
}

export type SendOutcome = { ok: true; requestId: string } | { ok: false; why: 'country' | 'throttled' | 'failed'; refusal: Refusal };

/** `detail`: what the code is for, on the audit rows (absent for a sign-in). */
export async function sendCode(deps: SendCodeDeps, request: FastifyRequest, account: Account, detail?: string, { newPhone = false }: SendOptions = {}): Promise<SendOutcome> {
  const { verify, budgets, audit, allowedCountries } = deps;
  const userId = account.id;
  if (!phoneAllowed(account.phone, allowedCountries)) {
    await audit.record('code-send-refused-country', request, { userId });
    return { ok: false, why: 'country', refusal: { status: 403, message: "We can't send codes to the phone number on your account (its country is not served). Contact your administrator." } };
  }
  const send = await budgets.reserveSend('start', { userId, phone: account.phone, ip: addressKey(request.ip), newPhone });
  if (!send.verdict.ok) {
    if (send.verdict.first) await audit.record('code-send-throttled', request, { userId, detail: send.verdict.limit });
    const refusal = { status: 429, message: 'Too many codes have been sent to your phone.', retryAfterMs: send.verdict.retryAfterMs };
    return { ok: false, why: 'throttled', refusal };
  }
  const started = await startVerification(verify, account.phone, request.log, account.email, { adoptRunning: !newPhone });
  if (!started.ok) {
    await send.refund(); // nothing was sent: no cooldown, no budget spent
    await audit.record('code-send-failed', request, { userId, detail: started.failure });
    return { ok: false, why: 'failed', refusal: describeFailure(started.failure) };
  }
  // A request already running to this phone carries the sign-in on; if a phone change started it,
  // that change now leaves it alone (account-phone.ts).
  if (started.adopted) await budgets.markVerifyShared(started.requestId);
  await audit.record('code-sent', request, { userId, detail });
  return { ok: true, requestId: started.requestId };
}
