// The code page's other buttons: send a new code, and cancel the sign-in. Both hold the pending
// sign-in's Verify lock, so they never reach Vonage together with a check or with each other.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { CodePage, RouteDeps } from './route-deps.ts';
import { csrfOnlyBody } from './form-schemas.ts';
import type { PendingSignIn } from '../session/signin-state.ts';
import { stillBelongs } from '../session/signin-state.ts';
import { describeFailure } from '../verify/outcome-messages.ts';
import { logVerifyFailure, startVerification } from '../verify/start-verification.ts';
import type { VerifyResult } from '../verify/verify-client.ts';
import type { Account } from '../accounts/account-store.ts';
import { phoneAllowed } from '../verify/allowed-countries.ts';
import { addressKey } from '../http/address-key.ts';

export default async function codeActionRoutes(app: FastifyInstance, deps: RouteDeps & { page: CodePage }): Promise<void> {
  const { accounts, audit, verify, budgets, page, allowedCountries } = deps;
  const { signIn } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  typed.post('/login/code/resend', { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const pending = await page.pendingOr303(request, reply);
    if (!pending) return reply;
    const refused = await page.perAddress(request, reply, pending);
    if (refused) return refused;
    const release = await signIn.holdVerifyCalls(request, pending);
    if (!release) return page.busy(reply, pending);
    try {
      // A code check that held the lock before us may have completed (or ended) this sign-in.
      if (!(await signIn.stillStored(request))) return reply.redirect('/', 303);
      return await resend(request, reply, pending);
    } finally {
      await release();
    }
  });

  async function resend(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn) {
    const account = await accounts.findById(pending.userId);
    if (!account || !stillBelongs(account, pending) || !phoneAllowed(account.phone, allowedCountries)) {
      await signIn.end(request, reply, 'account-unavailable');
      return reply.redirect('/login', 303);
    }
    const send = await budgets.reserveSend('resend', { userId: account.id, phone: account.phone, ip: addressKey(request.ip) });
    if (!send.verdict.ok) {
      const cooling = send.verdict.limit === 'send-cooldown';
      if (!cooling && send.verdict.first) await audit.record('code-send-throttled', request, { userId: account.id, detail: send.verdict.limit });
      const why = cooling ? 'A code was sent moments ago. You can ask for another soon.' : 'Too many codes have been sent to your phone.';
      return page.throttled(reply, pending, send.verdict, why);
    }
    const result = await resendOrRestart(request, pending, account);
    if (!result.ok) {
      await send.refund(); // nothing went out: no cooldown, no budget spent
      logVerifyFailure(request.log, verify, 'resend', result);
      const outcome = describeFailure(result.failure);
      if (outcome.restart) {
        await signIn.end(request, reply, 'expired');
        return reply.redirect('/login', 303);
      }
      return page.show(reply, outcome.status, pending, outcome.message);
    }
    await audit.record('code-resent', request, { userId: account.id });
    signIn.codeResent(request, result.requestId);
    return reply.redirect('/login/code', 303);
  }

  /** The next delivery of this Verify request; when none is left, a fresh request replaces it. */
  async function resendOrRestart(request: FastifyRequest, pending: PendingSignIn, account: Account): Promise<VerifyResult<{ requestId: string }>> {
    const result = await verify.resend(pending.requestId);
    if (result.ok) return { ok: true, requestId: pending.requestId };
    if (result.failure !== 'no-more-events') return result;
    await verify.cancel(pending.requestId);
    const started = await startVerification(verify, account.phone, request.log, account.email);
    // The old request still running (a cancel refused, or Vonage catching up): no new code went out.
    if (started.ok && started.requestId === pending.requestId) return { ok: false, failure: 'concurrent' };
    return started;
  }

  typed.post('/login/code/cancel', { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    // A stale code page in a browser that has since signed in: Cancel must not sign it out.
    if (signIn.state(request) === 'signed-in') return reply.redirect('/', 303);
    const pending = signIn.pending(request);
    if (!pending) {
      await signIn.end(request, reply);
      return reply.redirect('/login', 303);
    }
    const release = await signIn.holdVerifyCalls(request, pending);
    if (!release) return page.busy(reply, pending);
    try {
      // The one decision: a code check that completed this sign-in first keeps it.
      if (!(await signIn.claimPending(request))) return reply.redirect('/', 303);
      const cancelled = await verify.cancel(pending.requestId);
      if (!cancelled.ok) logVerifyFailure(request.log, verify, 'cancel', cancelled);
      await audit.record('signin-cancelled', request, { userId: pending.userId });
      await signIn.end(request, reply, 'cancelled');
      return reply.redirect('/login', 303);
    } finally {
      await release();
    }
  });
}
