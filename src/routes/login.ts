// The password step: email + password, then a Verify request to the account's phone.
// Every counter is taken before the work it guards: the address's and the account's before
// argon2, the send budgets before Verify.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { RouteDeps } from './route-deps.ts';
import { formBody } from './form-schemas.ts';
import { verifyAgainstDummy, verifyPassword, hashPassword, isArgon2idPhc } from '../accounts/passwords.ts';
import { EMAIL_SHAPE, normalizeEmail } from '../accounts/email.ts';
import { startVerification } from '../verify/start-verification.ts';
import { describeFailure } from '../verify/outcome-messages.ts';
import { phoneAllowed } from '../verify/allowed-countries.ts';
import { describeWait } from '../state/limits.ts';
import type { Verdict } from '../state/limits.ts';
import { setRetryAfter } from '../http/retry-after.ts';
import { addressKey } from '../http/address-key.ts';

const loginBody = formBody(
  { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 1024 } },
  ['email', 'password'],
);

const GENERIC_FAILURE = 'That email and password do not match an account.';

export default async function loginRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { accounts, audit, verify, budgets, limits, allowedCountries } = deps;
  const { signIn } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  const showForm = (reply: FastifyReply, status: number, data: { email?: string; error?: string; notice?: string }) =>
    reply.page(status, 'login', 'Sign in', { ...data, demo: app.demoAccount });
  const throttled = (reply: FastifyReply, verdict: Verdict & { ok: false }, email: string, what: string) => {
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

      // A remembered browser of this account skips the code (never the password): no Verify call.
      const rememberedBrowser = await app.rememberBrowser.redeem(request, reply, account.id);
      if (rememberedBrowser !== undefined) {
        const goTo = await signIn.completeRemembered(request, reply, account, rememberedBrowser);
        await audit.record('code-skipped-remembered-browser', request, { userId: account.id });
        return reply.redirect(goTo, 303);
      }

      if (!phoneAllowed(account.phone, allowedCountries)) {
        await audit.record('code-send-refused-country', request, { userId: account.id });
        return showForm(reply, 403, {
          email,
          error: "We can't send codes to the phone number on your account (its country is not served). Contact your administrator.",
        });
      }
      const send = await budgets.reserveSend('start', { userId: account.id, phone: account.phone, ip: address });
      if (!send.verdict.ok) {
        if (send.verdict.first) await audit.record('code-send-throttled', request, { userId: account.id, detail: send.verdict.limit });
        return throttled(reply, send.verdict, email, 'Too many codes have been sent to your phone.');
      }
      const started = await startVerification(verify, account.phone, request.log, account.email);
      if (!started.ok) {
        await send.refund(); // nothing was sent: no cooldown, no budget spent
        await audit.record('code-send-failed', request, { userId: account.id, detail: started.failure });
        const { status, message } = describeFailure(started.failure);
        return showForm(reply, status, { email, error: message });
      }
      await audit.record('code-sent', request, { userId: account.id });
      await signIn.begin(request, reply, account, started.requestId);
      return reply.redirect('/login/code', 303);
    },
  );
}
