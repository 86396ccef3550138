// The code step: show the form and check what was typed, while a sign-in is pending. A code from
// the phone goes to the verify-code factor, one of the account's recovery codes to the
// recovery-code factor (src/signin/factors/); either finishes the sign-in through
// `app.signIn.finish`, under the pending Verify request's lock.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { formBody } from './form-schemas.ts';
import type { Account } from '../accounts/account-store.ts';
import { codeShapeError, normalizeCode } from '../verify/code-shape.ts';
import { channelOf, resentNotice } from '../verify/delivery-wording.ts';
import { takeCodeNotice } from '../signin/factors/verify-code/state.ts';
import { issueFirstRecoveryCodes, readRecoveryCode, signInWithRecoveryCode } from '../signin/factors/recovery-code.ts';
import { rememberThisBrowser } from '../signin/factors/remembered-browser.ts';
import { codeBusy, codePerAddress, codeStepOr303, codeThrottled, showCodePage } from './code-page.ts';
import type { CodeStep } from './code-page.ts';
import codeActionRoutes from './code-actions.ts';
import { awaitingPasskey, offerPasskeyAfterCode } from '../signin/factors/passkey.ts';
import { recoveryCodeAtPasskeyStep } from './login-passkey.ts';

// `remember`: the "Remember this browser" checkbox (src/session/remember-browser.ts), sent only when ticked.
const codeBody = formBody({ code: { type: 'string', maxLength: 32 }, remember: { type: 'string', maxLength: 8 } }, ['code']);

export default async function codeRoutes(app: FastifyInstance): Promise<void> {
  const { signIn, verifyCode, budgets } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  app.get('/login/code', async (request, reply) => {
    const step = await codeStepOr303(request, reply);
    if (!step) return reply;
    const flash = takeCodeNotice(request);
    return showCodePage(reply, 200, step, undefined, flash ? resentNotice(channelOf(app.verify.client.channels, step.code.step)) : signIn.cookies.takeNotice(request, reply));
  });

  typed.post(
    '/login/code',
    { schema: { body: codeBody }, preValidation: app.checkCsrf },
    async (request, reply) => {
      // At the passkey step (no code sent): a recovery code only, and never an SMS.
      if (awaitingPasskey(request)) return recoveryCodeAtPasskeyStep(request, reply, request.body.code);
      const step = await codeStepOr303(request, reply);
      if (!step) return reply;
      const refused = await codePerAddress(request, reply, step);
      if (refused) return refused;
      const { userId } = step.pending;
      const remember = request.body.remember !== undefined;
      const recoveryCode = readRecoveryCode(request.body.code);
      const code = recoveryCode ?? normalizeCode(request.body.code, app.verify.client.codeLength);
      if (code === undefined) return showCodePage(reply, 400, step, codeShapeError(app.verify.client.codeLength));

      if (recoveryCode) {
        const used = await signInWithRecoveryCode(request, reply, userId, step.code, recoveryCode, (account) => afterCodeStep(request, reply, account, remember));
        if (used.kind === 'answered') return used.reply;
        if (used.kind === 'busy') return codeBusy(reply, step);
        if (used.kind === 'gone') return reply.redirect('/', 303);
        if (used.kind === 'throttled') return codeThrottled(reply, step, used.verdict, 'Too many wrong codes for this account.');
        return showCodePage(reply, 401, step, 'That recovery code is wrong or has already been used.');
      }

      const checked = await verifyCode.check(request, { requestId: step.code.requestId, userId, code }, () =>
        signIn.finish(request, reply, {
          factor: 'verify-code',
          audit: { event: 'code-ok' },
          async afterwards(account) {
            await afterCodeStep(request, reply, account, remember);
            await offerPasskeyAfterCode(request, account.id);
          },
        }),
      );
      if (checked.kind === 'right') return checked.value;
      if (checked.kind === 'busy') return codeBusy(reply, step);
      if (checked.kind === 'throttled') return codeThrottled(reply, step, checked.verdict, 'Too many wrong codes for this account.');
      return wrongCode(request, reply, step, checked);
    },
  );

  async function wrongCode(request: FastifyRequest, reply: FastifyReply, step: CodeStep, checked: { failure: string; outcome: { status: number; message: string; restart: boolean } }) {
    if (checked.outcome.restart) {
      await signIn.end(request, reply, checked.failure === 'too-many-attempts' ? 'too-many-attempts' : 'expired');
      return reply.redirect('/login', 303);
    }
    return showCodePage(reply, checked.outcome.status, step, checked.outcome.message);
  }

  /** In the new session, after either code: the code budget forgiven, the remember box, first recovery codes. */
  async function afterCodeStep(request: FastifyRequest, reply: FastifyReply, account: Account, remember: boolean) {
    await budgets.codeSucceeded(account.id);
    if (remember) await rememberThisBrowser(request, reply, account);
    await issueFirstRecoveryCodes(request, reply, account.id);
  }

  await app.register(codeActionRoutes);
}
