// The code step: check, resend, cancel. Only reachable while a sign-in is pending.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { maskPhone } from '../accounts/mask-phone.ts';
import { RESEND_COOLDOWN_MS, completeSignIn, endSession, sessionStillStored, signInState } from '../session/signin.ts';
import type { PendingSignIn } from '../session/signin.ts';
import { setNotice, takeNotice } from '../session/login-cookies.ts';
import type { NoticeKey } from '../session/login-cookies.ts';
import { describeFailure } from '../verify/outcome-messages.ts';
import { logVerifyFailure, startVerification } from '../verify/start-verification.ts';

const codeBodySchema = {
  type: 'object',
  required: ['code'],
  properties: { code: { type: 'string', maxLength: 32 }, _csrf: { type: 'string', maxLength: 512 } },
} as const;
const csrfOnlySchema = { type: 'object', properties: { _csrf: { type: 'string', maxLength: 512 } } } as const;

const CODE_SHAPE = /^\d{4,10}$/;
const CODE_NOTICES = {
  resent: 'Your code is on its way again; it may come as a phone call this time.',
  'resend-wait': 'A code was sent moments ago. Please wait a little before asking for another.',
} as const;

export default async function codeRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { accounts, audit, verify, sessionCookie } = deps;
  const throttle = { rateLimit: { max: 30, timeWindow: '1 minute' } };

  /** The pending sign-in, or a redirect to /login (with a notice when it timed out). */
  async function pendingOr303(request: FastifyRequest, reply: FastifyReply): Promise<PendingSignIn | undefined> {
    if (signInState(request) === 'pending') return request.session.pending;
    if (request.session?.pending) await leaveTo(request, reply, 'session-ended');
    else reply.redirect('/login', 303);
    return undefined;
  }

  async function leaveTo(request: FastifyRequest, reply: FastifyReply, notice: NoticeKey): Promise<FastifyReply> {
    await endSession(request, reply, sessionCookie);
    setNotice(reply, notice);
    return reply.redirect('/login', 303);
  }

  async function showForm(reply: FastifyReply, status: number, pending: PendingSignIn, error?: string, notice?: string) {
    const account = await accounts.findById(pending.userId);
    return reply.page(status, 'code', 'Enter your code', { maskedPhone: account ? maskPhone(account.phone) : '•••', error, notice });
  }

  app.get('/login/code', async (request, reply) => {
    const pending = await pendingOr303(request, reply);
    if (!pending) return reply;
    const flash = request.session.codeNotice;
    if (flash) delete request.session.codeNotice;
    return showForm(reply, 200, pending, undefined, flash ? CODE_NOTICES[flash] : takeNotice(request, reply));
  });

  app.post<{ Body: { code: string } }>(
    '/login/code',
    { schema: { body: codeBodySchema }, preValidation: app.csrfProtection, config: throttle },
    async (request, reply) => {
      const pending = await pendingOr303(request, reply);
      if (!pending) return reply;
      const code = request.body.code.replace(/[\s-]/g, '');
      if (!CODE_SHAPE.test(code)) return showForm(reply, 400, pending, 'Enter the code from the message: digits only.');

      const result = await verify.check(pending.requestId, code);
      if (result.ok) {
        audit.record('code-ok', { userId: pending.userId, ip: request.ip });
        return reply.redirect(await completeSignIn(request), 303);
      }
      logVerifyFailure(request.log, verify, 'check', result);
      const outcome = describeFailure(result.failure);
      if (outcome.restart && !(await sessionStillStored(request))) {
        // A parallel submit of this form (a double click, a second tab) already finished the
        // sign-in and replaced this session: its response carries the new cookie, leave it be.
        return reply.redirect('/', 303);
      }
      if (outcome.restart) {
        audit.record('code-locked-out', { userId: pending.userId, ip: request.ip, detail: result.failure });
        return leaveTo(request, reply, result.failure === 'too-many-attempts' ? 'too-many-attempts' : 'expired');
      }
      audit.record('code-failed', { userId: pending.userId, ip: request.ip, detail: result.failure });
      return showForm(reply, outcome.status, pending, outcome.message);
    },
  );

  app.post(
    '/login/code/resend',
    { schema: { body: csrfOnlySchema }, preValidation: app.csrfProtection, config: throttle },
    async (request, reply) => {
      const pending = await pendingOr303(request, reply);
      if (!pending) return reply;
      if (Date.now() < pending.resendAt) {
        request.session.codeNotice = 'resend-wait';
        return reply.redirect('/login/code', 303);
      }
      let result = await verify.resend(pending.requestId);
      if (!result.ok && result.failure === 'no-more-events') {
        // Every delivery of this request is used up: replace it with a fresh request.
        const account = await accounts.findById(pending.userId);
        if (!account) return leaveTo(request, reply, 'session-ended');
        await verify.cancel(pending.requestId);
        const started = await startVerification(verify, account.phone, request.log);
        if (started.ok && started.requestId === pending.requestId) {
          // The old request is still running (a cancel refused, or Vonage catching up): no new code went out.
          result = { ok: false, failure: 'concurrent' };
        } else {
          if (started.ok) pending.requestId = started.requestId;
          result = started;
        }
      }
      if (!result.ok) {
        logVerifyFailure(request.log, verify, 'resend', result);
        const outcome = describeFailure(result.failure);
        if (outcome.restart) return leaveTo(request, reply, 'expired');
        return showForm(reply, outcome.status, pending, outcome.message);
      }
      audit.record('code-resent', { userId: pending.userId, ip: request.ip });
      request.session.pending = { ...pending, resendAt: Date.now() + RESEND_COOLDOWN_MS };
      request.session.codeNotice = 'resent';
      return reply.redirect('/login/code', 303);
    },
  );

  app.post(
    '/login/code/cancel',
    { schema: { body: csrfOnlySchema }, preValidation: app.csrfProtection },
    async (request, reply) => {
      const pending = signInState(request) === 'pending' ? request.session.pending : undefined;
      if (pending) {
        const cancelled = await verify.cancel(pending.requestId);
        if (!cancelled.ok) logVerifyFailure(request.log, verify, 'cancel', cancelled);
        audit.record('signin-cancelled', { userId: pending.userId, ip: request.ip });
      }
      return leaveTo(request, reply, 'cancelled');
    },
  );
}

declare module 'fastify' {
  interface Session {
    /** A one-shot message for the code page. */
    codeNotice?: keyof typeof CODE_NOTICES;
  }
}
