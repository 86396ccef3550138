// "Make new recovery codes": the current password (under the account's password budgets, as at
// sign-in), then a fresh code sent to the account's phone (the send budgets, as at sign-in), then
// every old code is replaced by ten new ones, shown once (by the layout, on the page the browser
// is sent back to: src/http/pages.ts). The Verify request ID stays in the server-side session
// (recovery-session.ts); its check holds the same one-at-a-time lock and takes from the same code
// budget as the sign-in's code step.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { formBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import { normalizeEmail } from '../accounts/email.ts';
import { checkPasswordUnderBudgets } from '../signin/password-check.ts';
import { currentRenewal, endRenewal, showCodesOnce, startRenewal } from '../session/recovery-session.ts';
import { codeShapeError, normalizeCode } from '../verify/code-shape.ts';
import { describeWait } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';

/** The recovery-codes page (recovery-codes.ts shows it; these routes are its forms). */
export const RECOVERY_CODES_PATH = '/account/recovery-codes';

const sendBody = formBody({ password: { type: 'string', maxLength: 1024 } }, ['password']);
const codeBody = formBody({ code: { type: 'string', maxLength: 32 } }, ['code']);
const BUSY_MS = 1000;
const DETAIL = 'recovery-codes';

/** The page without new codes on it; recovery-codes.ts renders it; these routes answer with it again (an error). */
export type ShowRecoveryPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message?: { error?: string; notice?: string },
) => Promise<FastifyReply>;

export default async function renewalRoutes(app: FastifyInstance, { show }: { show: ShowRecoveryPage }): Promise<void> {
  const { accounts, audit, budgets, limits, recoveryCodes, verifyCode } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  const throttled = (request: FastifyRequest, reply: FastifyReply, retryAfterMs: number, what: string) => {
    setRetryAfter(reply, retryAfterMs);
    return show(request, reply, 429, { error: `${what} Try again in ${describeWait(retryAfterMs)}.` });
  };

  typed.post(`${RECOVERY_CODES_PATH}/send`, { schema: { body: sendBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const account = accountOf(request);
    const userId = account.id;
    const address = addressKey(request.ip);
    const perAddress = await limits.consume(['password-ip', address]);
    if (!perAddress.ok) return throttled(request, reply, perAddress.retryAfterMs, 'Too many password attempts from your network.');
    if (request.body.password.length === 0) return show(request, reply, 400, { error: 'Enter your password.' });

    const checked = await checkPasswordUnderBudgets(request, {
      email: normalizeEmail(account.email),
      password: request.body.password,
      userId,
      // The stored hash as it is now (the gate's copy may be a few seconds old).
      account: () => accounts.findById(userId),
      audit: { throttled: () => DETAIL, failed: { event: 'password-failed', detail: DETAIL }, locked: 'password', ok: { detail: DETAIL } },
    });
    if (checked.throttled) return throttled(request, reply, checked.throttled.retryAfterMs, 'Too many password attempts.');
    if (!checked.ok) return show(request, reply, 401, { error: 'That password is not right.' });
    const current = checked.account;

    const sent = await verifyCode.send(request, current, DETAIL);
    if (!sent.ok) {
      const { status, message, retryAfterMs } = sent.refusal;
      if (retryAfterMs !== undefined) return throttled(request, reply, retryAfterMs, message);
      const error = sent.why === 'country' ? "We can't send codes to the phone number on your account. Contact your administrator." : message;
      return show(request, reply, status, { error });
    }
    startRenewal(request, sent.requestId);
    return reply.redirect(RECOVERY_CODES_PATH, 303);
  });

  typed.post(RECOVERY_CODES_PATH, { schema: { body: codeBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const userId = accountOf(request).id;
    const renewal = currentRenewal(request);
    if (!renewal) return show(request, reply, 400, { error: 'Enter your password first: then we send you a code.' });
    const code = normalizeCode(request.body.code, app.verify.client.codeLength);
    if (code === undefined) return show(request, reply, 400, { error: codeShapeError(app.verify.client.codeLength) });

    const checked = await verifyCode.check(request, { requestId: renewal.requestId, userId, code, detail: DETAIL }, async () => {
      endRenewal(request);
      await budgets.codeSucceeded(userId);
      const codes = await recoveryCodes.replace(userId);
      await audit.record('recovery-codes-regenerated', request, { userId });
      showCodesOnce(request, reply, codes);
    });
    if (checked.kind === 'right') return reply.redirect(RECOVERY_CODES_PATH, 303);
    if (checked.kind === 'busy') return throttled(request, reply, BUSY_MS, 'Your last request is still being handled.');
    if (checked.kind === 'throttled') return throttled(request, reply, checked.verdict.retryAfterMs, 'Too many wrong codes for this account.');
    const { outcome } = checked;
    if (outcome.restart) {
      endRenewal(request);
      return show(request, reply, outcome.status, { error: "That code can't be used any more. Enter your password again for a new one." });
    }
    return show(request, reply, outcome.status, { error: outcome.message });
  });
}
