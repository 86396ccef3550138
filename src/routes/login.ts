// The password step: email + password, then a Verify request to the account's phone.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { verifyAgainstDummy, verifyPassword, hashPassword } from '../accounts/passwords.ts';
import { beginPendingSignIn, signInState } from '../session/signin.ts';
import { takeNotice, takeReturnTo } from '../session/login-cookies.ts';
import { startVerification } from '../verify/start-verification.ts';
import { describeFailure } from '../verify/outcome-messages.ts';

interface LoginBody {
  email: string;
  password: string;
}

const loginBodySchema = {
  type: 'object',
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', maxLength: 254 },
    password: { type: 'string', maxLength: 1024 },
    _csrf: { type: 'string', maxLength: 512 },
  },
} as const;

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
const GENERIC_FAILURE = 'That email and password do not match an account.';
const PER_IP_PER_MINUTE = 20;
const PER_ACCOUNT_FAILURES = 10;
const PER_ACCOUNT_WINDOW = '15 minutes';

export default async function loginRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { accounts, audit, verify } = deps;
  // Counts failed passwords per account (not per IP), so spreading guesses over addresses does not help.
  const accountFailures = app.createRateLimit({
    max: PER_ACCOUNT_FAILURES,
    timeWindow: PER_ACCOUNT_WINDOW,
    keyGenerator: (request) => `account:${normalizeEmail((request.body as LoginBody).email)}`,
  });

  const showForm = (reply: FastifyReply, status: number, data: { email?: string; error?: string; notice?: string }) =>
    reply.page(status, 'login', 'Sign in', { ...data, demo: app.demoAccount });

  app.get('/login', async (request, reply) => {
    if (signInState(request) === 'signed-in') return reply.redirect('/', 303);
    return showForm(reply, 200, { notice: takeNotice(request, reply) });
  });

  app.post<{ Body: LoginBody }>(
    '/login',
    {
      schema: { body: loginBodySchema },
      preValidation: app.csrfProtection,
      config: { rateLimit: { max: PER_IP_PER_MINUTE, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      const { password } = request.body;
      if (!EMAIL_SHAPE.test(email)) {
        return showForm(reply, 400, { email, error: 'Enter your email address, like name@example.com.' });
      }
      if (password.length === 0) return showForm(reply, 400, { email, error: 'Enter your password.' });

      // A peek: `remaining` is 0 once the account has used up its failures in this window.
      const throttle = await accountFailures(request, { increment: false });
      if (!throttle.isAllowed && throttle.remaining === 0) {
        audit.record('password-throttled', { ip: request.ip });
        const minutes = Math.max(1, Math.ceil(throttle.ttl / 60000));
        return showForm(reply, 429, { email, error: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` });
      }

      const account = await accounts.findByEmail(email);
      const check = account ? await verifyPassword(account.passwordHash, password) : await verifyAgainstDummy(password);
      if (!account || !check.ok) {
        await accountFailures(request);
        audit.record('password-failed', { userId: account?.id, ip: request.ip });
        return showForm(reply, 401, { email, error: GENERIC_FAILURE });
      }
      audit.record('password-ok', { userId: account.id, ip: request.ip });
      if (check.needsRehash) await accounts.updatePasswordHash(account.id, await hashPassword(password));

      const started = await startVerification(verify, account.phone, request.log);
      if (!started.ok) {
        audit.record('code-send-failed', { userId: account.id, ip: request.ip, detail: started.failure });
        const { status, message } = describeFailure(started.failure);
        return showForm(reply, status, { email, error: message });
      }
      audit.record('code-sent', { userId: account.id, ip: request.ip });
      await beginPendingSignIn(request, account.id, started.requestId, takeReturnTo(request, reply));
      return reply.redirect('/login/code', 303);
    },
  );
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

