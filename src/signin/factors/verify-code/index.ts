// The verify-code factor: after the password, a Verify request to the account's phone, and the
// sign-in pending until its code comes back (routes/code.ts and code-actions.ts are its pages).
// Registered as a second factor and decorated as `app.verifyCode` (send, check, resend, cancel),
// which "make new recovery codes" uses too.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../../accounts/account-store.ts';
import { sendCode } from './send-code.ts';
import type { SendCodeDeps, SendOptions, SendOutcome } from './send-code.ts';
import { checkUnderLock, holdVerifyCalls } from './check-code.ts';
import type { CheckOutcome, CodeToCheck } from './check-code.ts';
import { cancelCode, resendCode } from './resend.ts';
import type { ResendOutcome } from './resend.ts';
import { codeSent } from './state.ts';
import type { PendingCode } from './state.ts';
import type { Release } from '../../sign-in.ts';

export interface VerifyCode {
  send(request: FastifyRequest, account: Account, detail?: string, options?: SendOptions): Promise<SendOutcome>;
  check<T>(request: FastifyRequest, code: CodeToCheck, onRight: () => Promise<T>): Promise<CheckOutcome<T>>;
  hold(request: FastifyRequest, requestId: string): Promise<Release | undefined>;
  /** `onSent` keeps the Verify request elsewhere than the pending sign-in's (a confirmation's). */
  resend(request: FastifyRequest, account: Account, code: PendingCode, onSent?: (requestId: string) => void, options?: SendOptions): Promise<ResendOutcome>;
  cancel(request: FastifyRequest, code: PendingCode): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    verifyCode: VerifyCode;
  }
}

async function verifyCodeFactor(app: FastifyInstance): Promise<void> {
  const deps: SendCodeDeps = { verify: app.verify.client, budgets: app.budgets, audit: app.audit, allowedCountries: app.verify.allowedCountries };
  const verifyCode: VerifyCode = {
    send: (request, account, detail, options) => sendCode(deps, request, account, detail, options),
    check: (request, code, onRight) => checkUnderLock(deps, request, code, onRight),
    hold: (request, requestId) => holdVerifyCalls(request, deps.budgets, requestId),
    resend: (request, account, code, onSent, options) => resendCode(deps, request, account, code, onSent, options),
    cancel: (request, code) => cancelCode(deps, request, code),
  };
  app.decorate('verifyCode', verifyCode);
  app.signIn.addFactor({
    kind: 'verify-code',
    async afterPassword(request: FastifyRequest, reply: FastifyReply, account: Account) {
      const sent = await sendCode(deps, request, account);
      if (!sent.ok) return { refused: sent.refusal };
      await app.signIn.begin(request, reply, account);
      codeSent(request, sent.requestId);
      return { answered: reply.redirect('/login/code', 303) };
    },
  });
}

export default fp(verifyCodeFactor, { name: 'verify-code', fastify: '5.x', dependencies: ['signin', 'verify', 'budgets', 'audit'] });
