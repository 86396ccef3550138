// The password step: email + password, then the second factors (src/signin/factors/) in turn:
// a remembered browser finishes at once, otherwise a code goes to the account's phone. Every
// counter is taken before the work it guards: the address's and the account's before argon2.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { formBody } from './form-schemas.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { checkPasswordUnderBudgets } from '../signin/password-check.ts';
import { EMAIL_SHAPE, normalizeEmail } from '../accounts/email.ts';
import { describeWait } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';

const loginBody = formBody(
  { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 1024 } },
  ['email', 'password'],
);

const GENERIC_FAILURE = 'That email and password do not match an account.';

export default async function loginRoutes(app: FastifyInstance): Promise<void> {
  const { accounts, audit, limits } = app;
  const { signIn } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  const showForm = (reply: FastifyReply, status: number, data: { email?: string; error?: string; notice?: string }) =>
    reply.page(status, 'login', 'Sign in', { ...data, demo: app.demoAccount });
  const throttled = (reply: FastifyReply, verdict: { retryAfterMs: number }, email: string, what: string) => {
    setRetryAfter(reply, verdict.retryAfterMs);
    return showForm(reply, 429, { email, error: `${what} Try again in ${describeWait(verdict.retryAfterMs)}.` });
  };

  app.get('/login', async (request, reply) => {
    if (signIn.state(request) === 'signed-in') return reply.redirect('/', 303);
    return showForm(reply, 200, { notice: signIn.cookies.takeNotice(request, reply) });
  });

  typed.post(
    '/login',
    { schema: { body: loginBody }, preValidation: app.checkCsrf },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      const { password } = request.body;
      const address = addressKey(request.ip);
      const perAddress = await limits.consume(['password-ip', address]);
      if (!perAddress.ok) {
        if (perAddress.first) await audit.record('password-throttled', request, { detail: 'address' });
        return throttled(reply, perAddress, email, 'Too many sign-in attempts from your network.');
      }
      if (!EMAIL_SHAPE.test(email)) {
        return showForm(reply, 400, { email, error: 'Enter your email address, like name@example.com.' });
      }
      if (password.length === 0) return showForm(reply, 400, { email, error: 'Enter your password.' });

      const checked = await checkPasswordUnderBudgets(request, {
        email,
        password,
        account: () => accounts.findByEmail(email),
        audit: { failed: { event: 'password-failed' }, locked: 'password', ok: {} },
      });
      if (checked.throttled) return throttled(reply, checked.throttled, email, 'Too many attempts.');
      if (!checked.ok) return showForm(reply, 401, { email, error: GENERIC_FAILURE });
      const { account } = checked;
      // Only over the hash just verified: a password change that committed meanwhile stays.
      if (checked.needsRehash && !(await accounts.updatePasswordHash(account.id, await hashPassword(password), account.passwordHash))) {
        request.log.info({ userId: account.id }, 'password rehash skipped: the password changed meanwhile');
      }

      // The second factors, in the order they were registered: the first that does not pass answers.
      for (const factor of signIn.factors) {
        const next = await factor.afterPassword(request, reply, account);
        if (next === undefined) continue;
        if ('answered' in next) return next.answered;
        const { status, message, retryAfterMs } = next.refused;
        if (retryAfterMs === undefined) return showForm(reply, status, { email, error: message });
        return throttled(reply, { retryAfterMs }, email, message);
      }
      throw new Error('no second factor is registered');
    },
  );
}
