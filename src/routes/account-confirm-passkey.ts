// /account/confirm for an account with a passkey (PASSKEYS=on): once the password is right again,
// no code is sent at once; the page offers "Use your passkey" (its script asks the browser, then
// posts the assertion here) and "Send a code instead" (a plain form: the code path without any
// JavaScript). The assertion is checked as a sign-in's is (src/passkeys/check-assertion.ts), under
// the account's code budget, and under a lock so that of two submits of one assertion only one
// reaches `signIn.confirmed` (which claims the session atomically against a parallel logout).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody, formBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import { RESPONSE_MAX } from './login-passkey.ts';
import { CONFIRM_PATH, takeConfirmReturnTo } from '../signin/recent-sign-in.ts';
import { stillBelongs } from '../signin/state.ts';
import { holdVerifyCalls } from '../signin/factors/verify-code/check-code.ts';
import { confirmCodeSent } from '../signin/factors/verify-code/state.ts';
import { checkPasskeyAssertion } from '../passkeys/check-assertion.ts';
import { addressKey } from '../http/address-key.ts';

/** The passkey (or "Send a code instead") may follow a right password this long: as a confirmation's code may. */
const CHOICE_TTL_MS = 10 * 60 * 1000;
const DETAIL = 'step-up';
const BUSY_MS = 1000;
const assertionBody = formBody({ response: { type: 'string', maxLength: RESPONSE_MAX } }, []);

/** Whether the confirm page offers the passkey now (the password was right, a few minutes ago at most). */
export function passkeyChoiceOpen(request: FastifyRequest, now = Date.now()): boolean {
  const at = request.session.confirmPasswordAt;
  return at !== undefined && now < at + CHOICE_TTL_MS;
}

/** Whether the account has a passkey to confirm with; false with PASSKEYS=off. */
export async function hasPasskey(request: FastifyRequest, userId: number): Promise<boolean> {
  return request.server.hasDecorator('passkeys') && (await request.server.passkeys.store.has(userId));
}

/** After a right password: an account with a passkey is offered it (true), others get a code (false). */
export async function offerPasskeyChoice(request: FastifyRequest, userId: number): Promise<boolean> {
  if (!(await hasPasskey(request, userId))) return false;
  request.session.confirmPasswordAt = Date.now();
  return true;
}

export type ShowConfirmPage = (request: FastifyRequest, reply: FastifyReply, status: number, error?: string, retryAfterMs?: number) => Promise<FastifyReply>;

export default async function confirmPasskeyRoutes(app: FastifyInstance, { show }: { show: ShowConfirmPage }): Promise<void> {
  const { accounts, audit, budgets, limits, passkeys, signIn, verifyCode } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  const passwordFirst = 'Enter your password first.';

  typed.post(`${CONFIRM_PATH}/passkey/options`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const userId = accountOf(request).id;
    if (!passkeyChoiceOpen(request)) return reply.code(409).send({ error: passwordFirst });
    const options = await passkeys.askFor(request, 'confirm', userId);
    if (!options) return reply.code(409).send({ error: 'This account has no passkey any more. Send a code instead.' });
    return reply.send(options);
  });

  typed.post(`${CONFIRM_PATH}/passkey`, { schema: { body: assertionBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const userId = accountOf(request).id;
    const { response } = request.body;
    if (!passkeyChoiceOpen(request)) return show(request, reply, 400, passwordFirst);
    if (!response) return show(request, reply, 400, 'Your browser sent no passkey. Press “Use your passkey” again, or send a code instead.');
    const perAddress = await limits.consume(['code-ip', addressKey(request.ip)]);
    if (!perAddress.ok) return show(request, reply, 429, 'Too many requests from your network.', perAddress.retryAfterMs);
    const release = await holdVerifyCalls(request, budgets, `passkey-confirm:${userId}`);
    if (!release) return show(request, reply, 429, 'Your last request is still being handled.', BUSY_MS);
    try {
      // A parallel submit that held the lock first confirmed this session under a new ID.
      if (!(await signIn.stillStored(request))) return reply.redirect(CONFIRM_PATH, 303);
      const budget = await budgets.reserveCode(userId);
      if (!budget.verdict.ok) {
        if (budget.verdict.first) await audit.record('code-throttled', request, { userId, detail: `${DETAIL} passkey` });
        return show(request, reply, 429, 'Too many failed attempts for this account.', budget.verdict.retryAfterMs);
      }
      const checked = await checkPasskeyAssertion(request, { purpose: 'confirm', userId, response });
      if (!checked.ok) {
        const expired = checked.reason === 'expired';
        return show(request, reply, 401, expired ? 'That took too long. Press “Use your passkey” again.' : 'That passkey could not confirm it is you. Try again, or send a code instead.');
      }
      await budgets.codeSucceeded(userId);
      // Read afresh: signed out everywhere or disabled meanwhile, it confirms nothing.
      const account = await accounts.findById(userId);
      const signedIn = request.session.signedIn;
      const back = takeConfirmReturnTo(request);
      if (!account || !signedIn || !stillBelongs(account, signedIn) || !(await signIn.confirmed(request))) {
        await audit.record('session-ended', request, { userId, detail: 'ended-during-check' });
        await signIn.end(request, reply, 'session-ended');
        return reply.redirect('/login', 303);
      }
      await audit.record('step-up-confirmed', request, { userId, detail: 'passkey' });
      await audit.record('passkey-used', request, { userId, detail: DETAIL });
      return reply.redirect(back, 303);
    } finally {
      await release();
    }
  });

  // "Send a code instead": the code path of a confirmation, after the password already given.
  typed.post(`${CONFIRM_PATH}/sms`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const userId = accountOf(request).id;
    if (!passkeyChoiceOpen(request)) return show(request, reply, 400, passwordFirst);
    const account = await accounts.findById(userId);
    if (!account) return show(request, reply, 400, passwordFirst);
    const sent = await verifyCode.send(request, account, DETAIL);
    if (!sent.ok) return show(request, reply, sent.refusal.status, sent.refusal.message, sent.refusal.retryAfterMs);
    delete request.session.confirmPasswordAt;
    confirmCodeSent(request, sent.requestId);
    return reply.redirect(CONFIRM_PATH, 303);
  });
}
