// The one transition a second factor finishes a sign-in through (`app.signIn.finish`): see
// sign-in.ts. Every factor lands here, so "what happens when a sign-in completes" is read once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import type { AccountCache } from '../accounts/account-cache.ts';
import type { AuditLog } from '../accounts/audit-log.ts';
import type { NoticeKey } from '../session/login-cookies.ts';
import type { FactorProof } from './factors/factor.ts';
import { stillBelongs } from './state.ts';

export interface Rotation {
  /** A new session ID, signed in; claims the pending one first unless at the password step. Undefined: ended meanwhile. */
  rotate(request: FastifyRequest, reply: FastifyReply, account: Account, proof: FactorProof): Promise<string | undefined>;
  end(request: FastifyRequest, reply: FastifyReply, notice?: NoticeKey): Promise<void>;
}

export function createFinish(accounts: AccountCache, audit: AuditLog, { rotate, end }: Rotation) {
  return async function finish(request: FastifyRequest, reply: FastifyReply, proof: FactorProof): Promise<FastifyReply> {
    const pending = request.session.pending;
    const userId = proof.account?.id ?? pending?.userId;
    // Read afresh (not the gate's cache): disabled or signed out everywhere meanwhile, it is no sign-in.
    const found = proof.account ?? (userId === undefined ? undefined : await accounts.load(userId));
    const account = found && (proof.account || (pending && stillBelongs(found, pending))) ? found : undefined;
    const goTo = account ? await rotate(request, reply, account, proof) : undefined;
    if (!account || !goTo) {
      // Disabled meanwhile, or a parallel cancel or logout ended this sign-in first.
      await proof.giveBack?.();
      await audit.record('session-ended', request, { userId, detail: account ? 'ended-during-check' : 'account-unavailable' });
      await end(request, reply, 'session-ended');
      return reply.redirect('/login', 303);
    }
    await audit.record(proof.audit.event, request, { userId: account.id, detail: proof.audit.detail });
    await proof.afterwards?.(account);
    return reply.redirect(goTo, 303);
  };
}
