// The passkey factor (PASSKEYS=on): after a right password, an account with a passkey gets a
// pending sign-in and `303 /login/passkey` instead of a code (no Verify request at all); the
// assertion the browser returns finishes it through `app.signIn.finish`. Registered between the
// remembered browser (which still skips every second step) and the verify-code factor (which an
// account without a passkey, or one whose last passkey was removed, passes to).
//
// A failed assertion is a guess like a wrong code: it takes a point of the account's code budget
// first (src/state/budgets.ts), so passkeys open no second, unthrottled way in. The check runs
// under the pending sign-in's lock (pending-lock.ts), so two submits of one sign-in never both
// reach `finish`: the second finds the session claimed.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../accounts/account-store.ts';
import type { Verdict } from '../../state/limits.ts';
import { checkPasskeyAssertion } from '../../passkeys/check-assertion.ts';
import type { AssertionFailure } from '../../passkeys/check-assertion.ts';
import { issueFirstRecoveryCodes } from './recovery-code.ts';
import { pendingCode } from './verify-code/state.ts';
import { holdPendingSignIn } from './pending-lock.ts';

export const PASSKEY_PATH = '/login/passkey';

/** A pending sign-in waiting for a passkey: no code was sent for it (yet). False with PASSKEYS=off. */
export function awaitingPasskey(request: FastifyRequest): boolean {
  return request.server.hasDecorator('passkeys') && request.server.signIn.pending(request) !== undefined && pendingCode(request) === undefined;
}

/**
 * After a sign-in by a code from the phone: an account with no passkey yet is offered one on the
 * home page, until "Not now" or a passkey is added. Read once here, per sign-in: the home page
 * itself reads only the session.
 */
export async function offerPasskeyAfterCode(request: FastifyRequest, userId: number): Promise<void> {
  const { server } = request;
  if (!server.hasDecorator('passkeys')) return;
  if (!(await server.passkeys.store.has(userId))) request.session.passkeyOffer = true;
}

export type PasskeySignIn =
  | { kind: 'answered'; reply: FastifyReply }
  | { kind: 'busy' }
  /** The session was finished or ended by a parallel request that held the lock first. */
  | { kind: 'gone' }
  | { kind: 'throttled'; verdict: Verdict & { ok: false } }
  | { kind: 'failed'; reason: AssertionFailure };

export async function signInWithPasskey(request: FastifyRequest, reply: FastifyReply, userId: number, response: string): Promise<PasskeySignIn> {
  const { audit, budgets, signIn, verifyCode } = request.server;
  const release = await holdPendingSignIn(request, userId);
  if (!release) return { kind: 'busy' };
  try {
    if (!(await signIn.stillStored(request))) return { kind: 'gone' };
    const budget = await budgets.reserveCode(userId);
    if (!budget.verdict.ok) {
      if (budget.verdict.first) await audit.record('code-throttled', request, { userId, detail: 'passkey' });
      return { kind: 'throttled', verdict: budget.verdict };
    }
    const checked = await checkPasskeyAssertion(request, { purpose: 'sign-in', userId, response });
    if (!checked.ok) return { kind: 'failed', reason: checked.reason };
    // "Send a code instead" was pressed, then the passkey used after all: that code is not needed.
    const code = pendingCode(request);
    if (code) await verifyCode.cancel(request, code);
    const answered = await signIn.finish(request, reply, {
      factor: 'passkey',
      audit: { event: 'passkey-used', detail: 'sign-in' },
      async afterwards(account: Account) {
        await budgets.codeSucceeded(account.id);
        await issueFirstRecoveryCodes(request, reply, account.id);
      },
    });
    return { kind: 'answered', reply: answered };
  } finally {
    await release();
  }
}

async function passkeyFactor(app: FastifyInstance): Promise<void> {
  app.signIn.addFactor({
    kind: 'passkey',
    async afterPassword(request, reply, account) {
      // One indexed read per right password; an account without a passkey passes on to the code.
      if (!(await app.passkeys.store.has(account.id))) return undefined;
      await app.signIn.begin(request, reply, account);
      return { answered: reply.redirect(PASSKEY_PATH, 303) };
    },
  });
}

export default fp(passkeyFactor, { name: 'passkey-factor', fastify: '5.x', dependencies: ['signin', 'passkeys', 'budgets', 'audit'] });
