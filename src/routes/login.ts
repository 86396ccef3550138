// The password step: email + password, then the second factors (src/signin/factors/) in turn:
// a remembered browser finishes at once, otherwise a code goes to the account's phone. Every
// counter is taken before the work it guards: the address's and the account's before argon2.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { formBody } from './form-schemas.ts';
import { verifyAgainstDummy, verifyPassword, hashPassword, isArgon2idPhc } from '../accounts/passwords.ts';
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
  const { accounts, audit, budgets, limits } = app;
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

      const attempt = { email, ip: address, device: signIn.cookies.deviceKey(request, email) };
      const reservation = await budgets.reservePassword(attempt);
      if (!reservation.verdict.ok) {
        if (reservation.verdict.first) await audit.record('password-throttled', request, { detail: reservation.verdict.limit });
        return throttled(reply, reservation.verdict, email, 'Too many attempts.');
      }

      const account = await accounts.findByEmail(email);
      const check = account ? await verifyPassword(account.passwordHash, password) : await verifyAgainstDummy(password);
      if (!account || !check.ok) {
        if (account && !isArgon2idPhc(account.passwordHash)) {
          // Stored before migrations/0004 refused such hashes: no password can ever match it.
          request.log.warn({ userId: account.id }, 'stored password hash is not a whole argon2id hash: this account cannot sign in until an admin replaces it');
        }
        await audit.record('password-failed', request, { userId: account?.id });
        if (budgets.lockedAccount(reservation)) await audit.record('account-locked', request, { userId: account?.id, detail: 'password' });
        return showForm(reply, 401, { email, error: GENERIC_FAILURE });
      }
      await budgets.passwordSucceeded(attempt);
      await audit.record('password-ok', request, { userId: account.id });
      // Only over the hash just verified: a password change that committed meanwhile stays.
      if (check.needsRehash && !(await accounts.updatePasswordHash(account.id, await hashPassword(password), account.passwordHash))) {
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
