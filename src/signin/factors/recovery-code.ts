// The recovery-code factor: one of the account's recovery codes typed at the code step instead
// of the code from the phone. A guess at the account's code budget, spent in one atomic step,
// then the sign-in finishes (`app.signIn.finish`) or the code is given back if it cannot (ended
// meanwhile: the code was no way in). Held under the pending Verify request's lock, as a check
// is (the cancel is a Verify call, and finishing must not race a check); at the passkey step, with
// no code sent, under the lock a passkey assertion holds (pending-lock.ts), and no SMS is ever
// sent. Also the first set of codes an account gets after a full sign-in (shown once:
// src/http/pages.ts, templates/layout.eta).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeRecoveryCode } from '../../accounts/recovery-codes.ts';
import type { Verdict } from '../../state/limits.ts';
import { noteRecoverySignIn, showCodesOnce } from '../../session/recovery-session.ts';
import type { Account } from '../../accounts/account-store.ts';
import type { PendingCode } from './verify-code/state.ts';
import { holdPendingSignIn } from './pending-lock.ts';

/** 16 digits (grouped or not): a recovery code rather than a code from the phone. */
export const readRecoveryCode = normalizeRecoveryCode;

export type RecoveryOutcome =
  | { kind: 'answered'; reply: FastifyReply }
  | { kind: 'busy' }
  /** A request that held the lock first (a code, a passkey) finished or ended this sign-in. */
  | { kind: 'gone' }
  | { kind: 'throttled'; verdict: Verdict & { ok: false } }
  | { kind: 'wrong' };

export async function signInWithRecoveryCode(
  request: FastifyRequest,
  reply: FastifyReply,
  userId: number,
  pendingCode: PendingCode | undefined,
  code: string,
  afterwards: (account: Account) => Promise<void>,
): Promise<RecoveryOutcome> {
  const { budgets, audit, recoveryCodes, verifyCode, signIn } = request.server;
  const release = pendingCode ? await verifyCode.hold(request, pendingCode.requestId) : await holdPendingSignIn(request, userId);
  if (!release) return { kind: 'busy' };
  try {
    // Going on would spend the code, fail to claim the session, and end it with its successor.
    if (!(await signIn.stillStored(request))) return { kind: 'gone' };
    const budget = await budgets.reserveCode(userId);
    if (!budget.verdict.ok) {
      if (budget.verdict.first) await audit.record('code-throttled', request, { userId });
      return { kind: 'throttled', verdict: budget.verdict };
    }
    const spent = await recoveryCodes.use(userId, code);
    if (spent === undefined) {
      await audit.record('recovery-code-failed', request, { userId });
      return { kind: 'wrong' };
    }
    if (pendingCode) await verifyCode.cancel(request, pendingCode);
    const answered = await signIn.finish(request, reply, {
      factor: 'recovery-code',
      audit: { event: 'recovery-code-used', detail: `${spent.left} left` },
      giveBack: () => spent.giveBack(),
      async afterwards(account) {
        // The next page says how many are left.
        noteRecoverySignIn(request, spent.left);
        await afterwards(account);
      },
    });
    return { kind: 'answered', reply: answered };
  } finally {
    await release();
  }
}

/**
 * After a full sign-in: an account that never had recovery codes gets ten, kept in the new
 * session until the first full page it gets shows them once. The sign-in still goes straight to
 * its destination (the public contract's `303`).
 */
export async function issueFirstRecoveryCodes(request: FastifyRequest, reply: FastifyReply, userId: number): Promise<void> {
  const codes = await request.server.recoveryCodes.issueFirst(userId);
  if (!codes) return;
  await request.server.audit.record('recovery-codes-issued', request, { userId });
  showCodesOnce(request, reply, codes);
}
