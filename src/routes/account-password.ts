// Changing the password (ASVS 6.2.2, 6.2.3): the current one first, under the same budgets as the
// password step (so this page is no unthrottled password oracle), then the new one against the
// rules in new-password-rules.ts. An account whose password an admin seeded is sent here by the
// gate after its first full sign-in and reaches no other protected page until it has chosen its
// own (must_change_password, ASVS 6.4.1).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { accountOf } from './signed-in-account.ts';
import { formBody } from './form-schemas.ts';
import type { Account } from '../accounts/account-store.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { checkPasswordUnderBudgets } from '../signin/password-check.ts';
import { normalizeEmail } from '../accounts/email.ts';
import { MAX_PASSWORD_LENGTH, newPasswordProblem } from '../accounts/new-password-rules.ts';
import { PASSWORD_CHANGE_PATH } from '../signin/gate.ts';
import { stillBelongs } from '../signin/state.ts';
import { describeWait } from '../state/limits.ts';
import type { Verdict } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';

const passwordBody = formBody(
  {
    current_password: { type: 'string', maxLength: MAX_PASSWORD_LENGTH },
    // Longer than the rule allows, so that a too-long new password gets the form and its rule, not a bare 400.
    new_password: { type: 'string', maxLength: 4 * MAX_PASSWORD_LENGTH },
  },
  ['current_password', 'new_password'],
);

const WRONG_CURRENT = 'Your current password is not right.';

export default async function accountPasswordRoutes(app: FastifyInstance): Promise<void> {
  const { accounts, audit, limits } = app;
  const { signIn } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  const showForm = (reply: FastifyReply, status: number, account: Account, error?: string) =>
    reply.page(status, 'password', account.mustChangePassword ? 'Choose a new password' : 'Change your password', {
      email: account.email,
      forced: account.mustChangePassword,
      error,
    });
  const throttled = (reply: FastifyReply, account: Account, verdict: Verdict & { ok: false }, what: string) => {
    setRetryAfter(reply, verdict.retryAfterMs);
    return showForm(reply, 429, account, `${what} Try again in ${describeWait(verdict.retryAfterMs)}.`);
  };

  app.get(PASSWORD_CHANGE_PATH, async (request, reply) => showForm(reply, 200, accountOf(request)));

  typed.post(PASSWORD_CHANGE_PATH, { schema: { body: passwordBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const { current_password: current, new_password: chosen } = request.body;
    // Read afresh, as every step but the gate does: the hash checked is the one the change replaces.
    const admitted = accountOf(request);
    const userId = admitted.id;
    const found = await accounts.findById(userId);
    if (!found || !stillBelongs(found, { epoch: admitted.sessionEpoch })) {
      await audit.record('session-ended', request, { userId, detail: 'account-unavailable' });
      await signIn.end(request, reply, 'account-unavailable');
      return reply.redirect('/login', 303);
    }
    const account = found;

    const address = addressKey(request.ip);
    const perAddress = await limits.consume(['password-ip', address]);
    if (!perAddress.ok) {
      if (perAddress.first) await audit.record('password-throttled', request, { userId: account.id, detail: 'password-change address' });
      return throttled(reply, account, perAddress, 'Too many password attempts from your network.');
    }
    if (current.length === 0) return showForm(reply, 400, account, 'Enter your current password.');

    // The account's password budget, exactly as the password step takes it (this browser's own
    // when it holds the account's device cookie, as a signed-in browser does).
    const checked = await checkPasswordUnderBudgets(request, {
      email: normalizeEmail(account.email),
      password: current,
      userId: account.id,
      account: async () => account,
      audit: {
        throttled: (limit) => `password-change ${limit}`,
        failed: { event: 'password-change-failed', detail: 'wrong-current-password' },
        locked: 'password-change',
      },
    });
    if (checked.throttled) return throttled(reply, account, checked.throttled, 'Too many password attempts.');
    if (!checked.ok) return showForm(reply, 401, account, WRONG_CURRENT);

    const problem = newPasswordProblem(chosen, { email: account.email, current });
    if (problem) return showForm(reply, 400, account, problem);

    const sessionEpoch = await accounts.changePassword(account.id, await hashPassword(chosen), account.passwordHash);
    if (sessionEpoch === undefined) {
      // Changed (or disabled) since it was read: the password typed as current no longer is.
      await audit.record('password-change-failed', request, { userId: account.id, detail: 'changed-meanwhile' });
      return showForm(reply, 401, account, WRONG_CURRENT);
    }
    const othersEnded = await signIn.endOtherSessions(request, { ...account, sessionEpoch, mustChangePassword: false }).catch(async (error: unknown) => {
      // The session store failed (a 503 follows), but the password and its new epoch are stored,
      // which ends every other session at the gate all the same: the change is audited now.
      await audit.record('password-changed', request, { userId: account.id, detail: 'other-sessions-ended by-epoch' });
      throw error;
    });
    await audit.record('password-changed', request, { userId: account.id, detail: `other-sessions-ended ${othersEnded ?? 0}` });
    if (othersEnded === undefined) {
      // A logout of this session won the race: the password is changed, nobody is signed in here.
      await signIn.end(request, reply, 'password-changed');
      return reply.redirect('/login', 303);
    }
    signIn.cookies.setNotice(reply, 'password-changed');
    return reply.redirect(signIn.cookies.takeReturnTo(request, reply) ?? '/', 303);
  });
}
