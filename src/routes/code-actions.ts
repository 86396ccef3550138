// The code page's other buttons: send a new code, and cancel the sign-in. Both hold the pending
// sign-in's Verify lock, so they never reach Vonage together with a check or with each other.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody } from './form-schemas.ts';
import { stillBelongs } from '../signin/state.ts';
import { pendingCode } from '../signin/factors/verify-code/state.ts';
import { phoneAllowed } from '../verify/allowed-countries.ts';
import { codeBusy, codePerAddress, codeStepOr303, codeThrottled, showCodePage } from './code-page.ts';
import type { CodeStep } from './code-page.ts';

export default async function codeActionRoutes(app: FastifyInstance): Promise<void> {
  const { accounts, audit, signIn, verifyCode } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  typed.post('/login/code/resend', { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const step = await codeStepOr303(request, reply);
    if (!step) return reply;
    const refused = await codePerAddress(request, reply, step);
    if (refused) return refused;
    const release = await verifyCode.hold(request, step.code.requestId);
    if (!release) return codeBusy(reply, step);
    try {
      // A code check that held the lock before us may have completed (or ended) this sign-in.
      if (!(await signIn.stillStored(request))) return reply.redirect('/', 303);
      return await resend(request, reply, step);
    } finally {
      await release();
    }
  });

  async function resend(request: FastifyRequest, reply: FastifyReply, step: CodeStep) {
    const account = await accounts.findById(step.pending.userId);
    if (!account || !stillBelongs(account, step.pending) || !phoneAllowed(account.phone, app.verify.allowedCountries)) {
      await signIn.end(request, reply, 'account-unavailable');
      return reply.redirect('/login', 303);
    }
    const sent = await verifyCode.resend(request, account, step.code);
    if (sent.kind === 'throttled') return codeThrottled(reply, step, sent.verdict, sent.message);
    if (sent.kind === 'failed') {
      if (sent.outcome.restart) {
        await signIn.end(request, reply, 'expired');
        return reply.redirect('/login', 303);
      }
      return showCodePage(reply, sent.outcome.status, step, sent.outcome.message);
    }
    return reply.redirect('/login/code', 303);
  }

  typed.post('/login/code/cancel', { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    // A stale code page in a browser that has since signed in: Cancel must not sign it out.
    if (signIn.state(request) === 'signed-in') return reply.redirect('/', 303);
    const pending = signIn.pending(request);
    const code = pending && pendingCode(request);
    if (!pending || !code) {
      await signIn.end(request, reply);
      return reply.redirect('/login', 303);
    }
    const release = await verifyCode.hold(request, code.requestId);
    if (!release) return codeBusy(reply, { pending, code });
    try {
      // The one decision: a code check that completed this sign-in first keeps it.
      if (!(await signIn.claimPending(request))) return reply.redirect('/', 303);
      await verifyCode.cancel(request, code);
      await audit.record('signin-cancelled', request, { userId: pending.userId });
      await signIn.end(request, reply, 'cancelled');
      return reply.redirect('/login', 303);
    } finally {
      await release();
    }
  });
}
