// The code step: show the form and check the code. Only reachable while a sign-in is pending.
// One Verify call at a time per pending sign-in (the lock), and the account's code budget is
// taken before the check, so parallel guesses cannot outrun either.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { CodePage, RouteDeps } from './route-deps.ts';
import { formBody } from './form-schemas.ts';
import { maskEmail, maskPhone } from '../accounts/mask-phone.ts';
import type { PendingSignIn } from '../session/signin-state.ts';
import { stillBelongs } from '../session/signin-state.ts';
import { describeFailure } from '../verify/outcome-messages.ts';
import { codeShapeError, normalizeCode } from '../verify/code-shape.ts';
import { channelOf, codeFieldView, resentNotice } from '../verify/delivery-wording.ts';
import { normalizeRecoveryCode } from '../accounts/recovery-codes.ts';
import type { SpentRecoveryCode } from '../accounts/recovery-codes.ts';
import { recoverySignInSteps } from './recovery-sign-in.ts';
import { logVerifyFailure } from '../verify/start-verification.ts';
import type { VerifyFailure } from '../verify/verify-client.ts';
import { LIMITS, describeWait } from '../state/limits.ts';
import type { Verdict } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';
import codeActionRoutes from './code-actions.ts';

// `remember`: the "Remember this browser" checkbox (src/session/remember-browser.ts), sent only when ticked.
const codeBody = formBody({ code: { type: 'string', maxLength: 32 }, remember: { type: 'string', maxLength: 8 } }, ['code']);
/** Failures where Vonage judged the code: only these count against the account's code budget. */
const GUESSES: ReadonlySet<VerifyFailure> = new Set(['wrong-code', 'too-many-attempts']);
const BUSY_MS = 1000;
/** The account's resend cooldown (budgets.ts) began as the latest code went out, just before `sentAt`. */
const RESEND_COOLDOWN_MS = LIMITS['send-cooldown'].seconds * 1000;

/** Whole seconds until "Send a new code" is accepted: the page shows it and code-page.js counts it down. */
export function resendWaitSeconds(pending: PendingSignIn, now = Date.now()): number {
  return Math.max(0, Math.ceil((pending.sentAt + RESEND_COOLDOWN_MS - now) / 1000));
}

export default async function codeRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { accounts, audit, verify, budgets, limits } = deps;
  const { signIn } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  const page: CodePage = {
    async pendingOr303(request, reply) {
      const pending = signIn.pending(request);
      const account = pending && (await accounts.findById(pending.userId));
      if (pending && account && stillBelongs(account, pending)) {
        request.account = account; // read once per request: the page shows its masked phone
        return pending;
      }
      if (pending) {
        // Disabled or deleted mid-sign-in (sessions in Redis outlive the database's own clean-up).
        await audit.record('session-ended', request, { userId: pending.userId, detail: 'account-unavailable' });
        await signIn.end(request, reply, 'account-unavailable');
        reply.redirect('/login', 303);
        return undefined;
      }
      if (signIn.timedOut(request)) await signIn.end(request, reply, 'session-ended');
      reply.redirect(signIn.state(request) === 'signed-in' ? '/' : '/login', 303);
      return undefined;
    },
    show: (reply, status, pending, error, notice) => showPage(reply, status, pending, error, notice),
    throttled(reply, pending, verdict, message) {
      setRetryAfter(reply, verdict.retryAfterMs);
      // A refused resend counts down to the cooldown's end in the store: another sign-in to this
      // account (another browser) may have begun it after this one's code went out.
      const cooldownMs = 'limit' in verdict && verdict.limit === 'send-cooldown' ? verdict.retryAfterMs : 0;
      return showPage(reply, 429, pending, `${message} Try again in ${describeWait(verdict.retryAfterMs)}.`, undefined, cooldownMs);
    },
    busy(reply, pending) {
      return page.throttled(reply, pending, { retryAfterMs: BUSY_MS }, 'Your last request for this sign-in is still being handled.');
    },
    async perAddress(request, reply, pending) {
      const verdict: Verdict = await limits.consume(['code-ip', addressKey(request.ip)]);
      return verdict.ok ? undefined : page.throttled(reply, pending, verdict, 'Too many requests from your network.');
    },
  };
  const recovery = recoverySignInSteps(deps, page, signIn);

  /** The code form; `resendIn` (seconds) goes on the resend button for code-page.js to count down. */
  async function showPage(reply: FastifyReply, status: number, pending: PendingSignIn, error?: string, notice?: string, cooldownMs = 0) {
    const account = reply.request.account ?? (await accounts.findById(pending.userId));
    const resendIn = Math.max(resendWaitSeconds(pending), Math.ceil(cooldownMs / 1000));
    const resendWait = resendIn > 0 ? describeWait(resendIn * 1000) : undefined;
    const masked = { maskedPhone: account ? maskPhone(account.phone) : '•••', maskedEmail: account ? maskEmail(account.email) : '•••' };
    const field = codeFieldView(verify.channels, pending.step, verify.codeLength);
    return reply.page(status, 'code', 'Enter your code', { ...masked, ...field, error, notice, resendIn, resendWait, rememberDays: app.rememberBrowser.days });
  }

  app.get('/login/code', async (request, reply) => {
    const pending = await page.pendingOr303(request, reply);
    if (!pending) return reply;
    const flash = signIn.takeCodeNotice(request);
    return page.show(reply, 200, pending, undefined, flash ? resentNotice(channelOf(verify.channels, pending.step)) : signIn.cookies.takeNotice(request, reply));
  });

  typed.post(
    '/login/code',
    { schema: { body: codeBody }, preValidation: app.checkCsrf },
    async (request, reply) => {
      const pending = await page.pendingOr303(request, reply);
      if (!pending) return reply;
      const refused = await page.perAddress(request, reply, pending);
      if (refused) return refused;
      // 16 digits: one of the account's recovery codes, checked here instead of by Verify.
      const recoveryCode = normalizeRecoveryCode(request.body.code);
      const code = recoveryCode ?? normalizeCode(request.body.code, verify.codeLength);
      if (code === undefined) return page.show(reply, 400, pending, codeShapeError(verify.codeLength));
      if (recoveryCode) return recovery.signIn(request, reply, pending, recoveryCode, finishSignIn);

      const release = await signIn.holdVerifyCalls(request, pending);
      if (!release) return page.busy(reply, pending);
      try {
        const budget = await budgets.reserveCode(pending.userId);
        if (!budget.verdict.ok) {
          if (budget.verdict.first) await audit.record('code-throttled', request, { userId: pending.userId });
          return page.throttled(reply, pending, budget.verdict, 'Too many wrong codes for this account.');
        }
        const result = await verify.check(pending.requestId, code);
        if (result.ok) return await finishSignIn(request, reply, pending);

        if (!GUESSES.has(result.failure)) await budget.refund();
        logVerifyFailure(request.log, verify, 'check', result);
        const outcome = describeFailure(result.failure);
        if (outcome.restart) {
          await audit.record('code-locked-out', request, { userId: pending.userId, detail: result.failure });
          await signIn.end(request, reply, result.failure === 'too-many-attempts' ? 'too-many-attempts' : 'expired');
          return reply.redirect('/login', 303);
        }
        await audit.record('code-failed', request, { userId: pending.userId, detail: result.failure });
        return page.show(reply, outcome.status, pending, outcome.message);
      } finally {
        await release();
      }
    },
  );

  /** `recoveryCode`: signed in with a recovery code instead of the Verify code (given back on failure). */
  async function finishSignIn(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn, recoveryCode?: SpentRecoveryCode) {
    const found = await accounts.findById(pending.userId);
    const account = found && stillBelongs(found, pending) ? found : undefined;
    const goTo = account ? await signIn.complete(request, reply, account) : undefined;
    if (!account || !goTo) {
      // Disabled meanwhile, or a parallel cancel or logout ended this sign-in first.
      await recoveryCode?.giveBack();
      await audit.record('session-ended', request, { userId: pending.userId, detail: account ? 'ended-during-check' : 'account-unavailable' });
      await signIn.end(request, reply, 'session-ended');
      return reply.redirect('/login', 303);
    }
    await budgets.codeSucceeded(account.id);
    if (recoveryCode === undefined) await audit.record('code-ok', request, { userId: account.id });
    else await recovery.signedIn(request, account.id, recoveryCode.left);
    if ((request.body as { remember?: string }).remember !== undefined && app.rememberBrowser.days > 0) {
      // Under the epoch this sign-in read: signed out everywhere meanwhile, nothing is remembered.
      const browserId = await app.rememberBrowser.remember(reply, account);
      if (browserId !== undefined) {
        signIn.rememberedAs(request, browserId);
        await audit.record('browser-remembered', request, { userId: account.id });
      }
    }
    await recovery.issueFirstCodes(request, reply, account.id);
    return reply.redirect(goTo, 303);
  }

  await app.register(codeActionRoutes, { ...deps, page });
}
