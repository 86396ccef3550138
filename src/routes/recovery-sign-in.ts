// The code step's recovery-code steps (code.ts calls them): a recovery code typed instead of the
// Verify code (one more guess at the account's code budget, under the same Verify lock as a
// check), and the first set of codes an account gets after a full sign-in (shown once, on the
// first page the new session gets: src/http/pages.ts and templates/layout.eta).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CodePage, RouteDeps } from './route-deps.ts';
import type { SpentRecoveryCode } from '../accounts/recovery-codes.ts';
import type { PendingSignIn } from '../signin/state.ts';
import type { SignIn } from '../signin/plugin.ts';
import { noteRecoverySignIn, showCodesOnce } from '../session/recovery-session.ts';
import { logVerifyFailure } from '../verify/start-verification.ts';

/**
 * code.ts's last step of a sign-in, told it was this recovery code: it gives the code back when
 * the sign-in does not complete.
 */
type FinishSignIn = (request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, recoveryCode: SpentRecoveryCode) => Promise<FastifyReply>;

export function recoverySignInSteps({ audit, verify, budgets, recoveryCodes }: RouteDeps, page: CodePage, signIn: SignIn) {
  return {
    /**
     * A recovery code typed at the code step: a guess at the account's code budget, spent in one
     * atomic step, then the sign-in completes as after a right Verify code (`finish`), or the
     * code is given back if it cannot (ended meanwhile: the code was no way in). Holds the
     * pending sign-in's Verify lock as a check does (the cancel is a Verify call, and completing
     * must not race a check); a refusal is answered once the lock is free again.
     */
    async signIn(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, code: string, finish: FinishSignIn) {
      const release = await signIn.holdVerifyCalls(request, pending);
      if (!release) return page.busy(reply, pending);
      let refusal: () => Promise<FastifyReply>;
      try {
        const budget = await budgets.reserveCode(pending.userId);
        const { verdict } = budget;
        if (!verdict.ok) {
          if (verdict.first) await audit.record('code-throttled', request, { userId: pending.userId });
          refusal = () => page.throttled(reply, pending, verdict, 'Too many wrong codes for this account.');
        } else {
          const spent = await recoveryCodes.use(pending.userId, code);
          if (spent !== undefined) {
            // The code from the phone is not needed any more (best effort, as Cancel does).
            const cancelled = await verify.cancel(pending.requestId);
            if (!cancelled.ok) logVerifyFailure(request.log, verify, 'cancel', cancelled);
            return await finish(request, reply, pending, spent);
          }
          await audit.record('recovery-code-failed', request, { userId: pending.userId });
          refusal = () => page.show(reply, 401, pending, 'That recovery code is wrong or has already been used.');
        }
      } finally {
        await release();
      }
      return refusal();
    },

    /** Signed in with a recovery code: audited, and the next page says how many are left. */
    async signedIn(request: FastifyRequest, userId: number, left: number): Promise<void> {
      await audit.record('recovery-code-used', request, { userId, detail: `${left} left` });
      noteRecoverySignIn(request, left);
    },

    /**
     * After a full sign-in: an account that never had recovery codes gets ten, kept in the new
     * session until the first full page it gets shows them once. The sign-in still goes straight
     * to its destination (the public contract's `303`).
     */
    async issueFirstCodes(request: FastifyRequest, reply: FastifyReply, userId: number): Promise<void> {
      const codes = await recoveryCodes.issueFirst(userId);
      if (!codes) return;
      await audit.record('recovery-codes-issued', request, { userId });
      showCodesOnce(request, reply, codes);
    },
  };
}
