// The passkey step of a sign-in (PASSKEYS=on; src/signin/factors/passkey.ts sends an account with
// a passkey here after its password): the page, the options its script asks for (this account's
// credentials only), the assertion (`response`, the JSON the browser library returned, as a form
// field), "Send a code instead" (the Verify request after all), and, through POST /login/code, a
// recovery code with no SMS ever sent (recoveryCodeAtPasskeyStep below).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody, formBody } from './form-schemas.ts';
import type { Account } from '../accounts/account-store.ts';
import { maskEmail } from '../accounts/mask-phone.ts';
import { stillBelongs } from '../signin/state.ts';
import type { PendingSignIn } from '../signin/state.ts';
import { PASSKEY_PATH, signInWithPasskey } from '../signin/factors/passkey.ts';
import { holdPendingSignIn } from '../signin/factors/pending-lock.ts';
import { issueFirstRecoveryCodes, readRecoveryCode, signInWithRecoveryCode } from '../signin/factors/recovery-code.ts';
import { codeSent, pendingCode } from '../signin/factors/verify-code/state.ts';
import { describeWait } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';

/** The browser library's JSON, well under the form body limit (16 KB). */
export const RESPONSE_MAX = 12 * 1024;
const assertionBody = formBody({ response: { type: 'string', maxLength: RESPONSE_MAX } }, []);
const BUSY_MS = 1000;

interface PasskeyStep {
  pending: PendingSignIn;
  account: Account;
}

const FAILED: Record<string, string> = {
  expired: 'That took too long. Press “Use your passkey” again.',
  'no-challenge': 'That passkey answer was already used or never asked for. Press “Use your passkey” again.',
  malformed: 'Your browser sent something that is not a passkey answer. Press “Use your passkey” again.',
};
const FAILED_OTHERWISE = 'That passkey could not sign you in. Try again with a passkey of this account, or send a code instead.';

/** The pending sign-in at its passkey step, or a redirect (to /login, or home when already signed in). */
async function passkeyStepOr303(request: FastifyRequest, reply: FastifyReply): Promise<PasskeyStep | undefined> {
  const { signIn, accounts, audit } = request.server;
  const pending = signIn.pending(request);
  const account = pending && (await accounts.findById(pending.userId));
  if (pending && account && stillBelongs(account, pending)) return { pending, account };
  if (pending) {
    await audit.record('session-ended', request, { userId: pending.userId, detail: 'account-unavailable' });
    await signIn.end(request, reply, 'account-unavailable');
    return void reply.redirect('/login', 303);
  }
  if (signIn.state(request) === 'signed-in') return void reply.redirect('/', 303);
  if (signIn.timedOut(request)) await signIn.end(request, reply, 'session-ended');
  return void reply.redirect('/login', 303);
}

/** The passkey page, with an error (and Retry-After when throttled). */
export function showPasskeyPage(reply: FastifyReply, status: number, account: Account, error?: string, retryAfterMs?: number) {
  if (retryAfterMs !== undefined) setRetryAfter(reply, retryAfterMs);
  const waiting = retryAfterMs === undefined ? '' : ` Try again in ${describeWait(retryAfterMs)}.`;
  const notice = reply.request.server.signIn.cookies.takeNotice(reply.request, reply);
  // A recovery code's message goes beside its field (that form posts `code`), the rest at the top.
  const body = reply.request.body;
  const errorAtRecovery = typeof body === 'object' && body !== null && 'code' in body;
  return reply.page(status, 'login-passkey', 'Use your passkey', { maskedEmail: maskEmail(account.email), error: error && error + waiting, errorAtRecovery, notice });
}

/**
 * POST /login/code while the sign-in waits for a passkey (no code sent): only a recovery code is
 * accepted, and no SMS is sent, whatever was typed. Errors are shown on the passkey page.
 */
export async function recoveryCodeAtPasskeyStep(request: FastifyRequest, reply: FastifyReply, typed: string): Promise<FastifyReply> {
  const step = await passkeyStepOr303(request, reply);
  if (!step) return reply;
  const { account } = step;
  const perAddress = await request.server.limits.consume(['code-ip', addressKey(request.ip)]);
  if (!perAddress.ok) return showPasskeyPage(reply, 429, account, 'Too many requests from your network.', perAddress.retryAfterMs);
  const code = readRecoveryCode(typed);
  if (code === undefined) return showPasskeyPage(reply, 400, account, 'A recovery code has 16 digits. To get a code by SMS instead, press “Send a code instead”.');
  const used = await signInWithRecoveryCode(request, reply, account.id, pendingCode(request), code, async (signedIn) => {
    await request.server.budgets.codeSucceeded(signedIn.id);
    await issueFirstRecoveryCodes(request, reply, signedIn.id);
  });
  if (used.kind === 'answered') return used.reply;
  if (used.kind === 'gone') return reply.redirect('/', 303);
  if (used.kind === 'busy') return showPasskeyPage(reply, 429, account, 'Your last request for this sign-in is still being handled.', BUSY_MS);
  if (used.kind === 'throttled') return showPasskeyPage(reply, 429, account, 'Too many failed attempts for this account.', used.verdict.retryAfterMs);
  return showPasskeyPage(reply, 401, account, 'That recovery code is wrong or has already been used.');
}

export default async function loginPasskeyRoutes(app: FastifyInstance): Promise<void> {
  const { signIn, passkeys, verifyCode, limits } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  app.get(PASSKEY_PATH, async (request, reply) => {
    const step = await passkeyStepOr303(request, reply);
    if (!step) return reply;
    return showPasskeyPage(reply, 200, step.account);
  });

  // JSON for the page's script: the challenge is kept in the session, the credentials offered are
  // this account's only. A POST (CSRF-checked), so no other site can make a session hold one.
  typed.post(`${PASSKEY_PATH}/options`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const pending = signIn.pending(request);
    if (!pending) return reply.code(401).send({ error: 'Your sign-in has ended. Sign in again.' });
    const options = await passkeys.askFor(request, 'sign-in', pending.userId);
    if (!options) return reply.code(409).send({ error: 'This account has no passkey any more. Send a code instead.' });
    return reply.send(options);
  });

  typed.post(PASSKEY_PATH, { schema: { body: assertionBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const step = await passkeyStepOr303(request, reply);
    if (!step) return reply;
    const { account } = step;
    const { response } = request.body;
    if (!response) return showPasskeyPage(reply, 400, account, 'Your browser sent no passkey. Press “Use your passkey” again, or send a code instead.');
    const perAddress = await limits.consume(['code-ip', addressKey(request.ip)]);
    if (!perAddress.ok) return showPasskeyPage(reply, 429, account, 'Too many requests from your network.', perAddress.retryAfterMs);
    const result = await signInWithPasskey(request, reply, account.id, response);
    if (result.kind === 'answered') return result.reply;
    if (result.kind === 'gone') return reply.redirect('/', 303);
    if (result.kind === 'busy') return showPasskeyPage(reply, 429, account, 'Your last request for this sign-in is still being handled.', BUSY_MS);
    if (result.kind === 'throttled') return showPasskeyPage(reply, 429, account, 'Too many failed attempts for this account.', result.verdict.retryAfterMs);
    return showPasskeyPage(reply, result.reason === 'malformed' ? 400 : 401, account, FAILED[result.reason] ?? FAILED_OTHERWISE);
  });

  // "Send a code instead": the verify-code factor's send (its budgets, cooldown, allowed countries,
  // and a 503 page when Vonage fails), then the code page. A code already sent is not sent again.
  typed.post(`${PASSKEY_PATH}/sms`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const step = await passkeyStepOr303(request, reply);
    if (!step) return reply;
    const { account } = step;
    if (pendingCode(request)) return reply.redirect('/login/code', 303);
    const release = await holdPendingSignIn(request, account.id);
    if (!release) return showPasskeyPage(reply, 429, account, 'Your last request for this sign-in is still being handled.', BUSY_MS);
    try {
      // A passkey that held the lock first may have finished this sign-in.
      if (!(await signIn.stillStored(request))) return reply.redirect('/', 303);
      const sent = await verifyCode.send(request, account);
      if (!sent.ok) return showPasskeyPage(reply, sent.refusal.status, account, sent.refusal.message, sent.refusal.retryAfterMs);
      codeSent(request, sent.requestId);
      signIn.renew(request);
      return reply.redirect('/login/code', 303);
    } finally {
      await release();
    }
  });
}
