// The sign-in plugin owns the session: every transition (begin, renew, finish, end), the
// timeouts, the registered second factors and the gate in front of protected routes (what it
// gives the app: sign-in.ts). The fields and the timing rules are in state.ts; the factors in
// factors/; the counters in src/state/budgets.ts.
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import type { AuditLog } from '../accounts/audit-log.ts';
import type { AccountCache } from '../accounts/account-cache.ts';
import type { AuthSessionStore } from '../session/auth-session-store.ts';
import type { CookieNames, LoginCookies } from '../session/login-cookies.ts';
import { reserveSessionId } from '../session/session-ids.ts';
import { hasTimedOut, stateOf } from './state.ts';
import type { SessionTimes, SignedIn } from './state.ts';
import { createGate } from './gate.ts';
import { releaseBeforeAnswer } from './release-before-answer.ts';
import { createFinish } from './complete.ts';
import { createRequireRecentSignIn, isRecent } from './recent-sign-in.ts';
import type { SecondFactor } from './factors/factor.ts';
import type { SignIn } from './sign-in.ts';

/** Enough to name a browser; the rest of a long User-Agent header is not kept. */
const USER_AGENT_MAX = 256;

export interface SignInOptions {
  names: CookieNames;
  cookies: LoginCookies;
  store: AuthSessionStore;
  /** The gate's reads (a few seconds' cache); the code step reads the store itself. */
  accountCache: AccountCache;
  audit: AuditLog;
  times: SessionTimes;
  /** STEP_UP_MINUTES in ms: how recent a sign-in or confirmation a sensitive action needs. */
  stepUpMs: number;
}

async function signInPlugin(app: FastifyInstance, options: SignInOptions): Promise<void> {
  const { names, cookies, store, accountCache, audit, times, stepUpMs } = options;
  const factors: SecondFactor[] = [];
  const releasedBeforeAnswer = releaseBeforeAnswer(app);

  // A visitor's CSRF secret lives in its own cookie (a session's, in the session: see csrf.ts):
  // forgetting the cookie makes the next anonymous page issue a new one.
  const renewCsrf = (request: FastifyRequest, reply: FastifyReply) => {
    delete request.cookies[names.csrf];
    reply.clearCookie(names.csrf, { path: '/' });
  };

  /** A new session ID holding a finished sign-in, whichever factor finished it. */
  const signedInAs = async (request: FastifyRequest, reply: FastifyReply, account: Account, rememberedBrowser?: string) => {
    await request.session.regenerate([]);
    // A new CSRF secret, kept in the session from now on (the visitor's cookie is cleared).
    request.session.csrfSecret = app.newCsrfSecret();
    const now = Date.now();
    request.session.signedIn = {
      userId: account.id,
      epoch: account.sessionEpoch,
      signedInAt: now,
      seenAt: now,
      address: request.ip,
      userAgent: (request.headers['user-agent'] ?? '').slice(0, USER_AGENT_MAX),
      handle: randomBytes(12).toString('base64url'),
      ...(rememberedBrowser === undefined ? {} : { rememberedBrowser }),
    };
    renewCsrf(request, reply);
    cookies.issueDevice(reply, account.email);
  };

  const signIn: SignIn = {
    cookies,
    state: (request) => stateOf(request.session, times),
    pending: (request) => (stateOf(request.session, times) === 'pending' ? request.session.pending : undefined),
    timedOut: (request) => hasTimedOut(request.session, times),

    async begin(request, reply, account) {
      const returnTo = cookies.takeReturnTo(request, reply);
      await request.session.regenerate([]);
      request.session.pending = { userId: account.id, epoch: account.sessionEpoch, renewedAt: Date.now() };
      if (returnTo) request.session.returnTo = returnTo;
    },

    renew(request) {
      const pending = request.session.pending;
      if (pending) request.session.pending = { ...pending, renewedAt: Date.now() };
    },

    finish: createFinish(accountCache, audit, {
      async rotate(request, reply, account, proof) {
        if (proof.account) {
          // At the password step, from an anonymous (or pending) session: regenerate ends the old ID.
          const returnTo = cookies.takeReturnTo(request, reply);
          await signedInAs(request, reply, account, proof.rememberedBrowser);
          return returnTo ?? '/';
        }
        const { returnTo, sessionId } = request.session;
        // The one atomic decision: of this request and a parallel cancel, logout or second
        // submit, only the one that ends the pending session's row goes on. The old row's
        // tombstone names the new ID, so a logout still holding the old cookie ends it too.
        if (!(await store.claim(sessionId, reserveSessionId(request)))) return undefined;
        await signedInAs(request, reply, account, proof.rememberedBrowser);
        return returnTo ?? '/';
      },
      end: (request, reply, notice) => signIn.end(request, reply, notice),
    }),

    rememberedAs(request, browserId) {
      request.session.signedIn = { ...(request.session.signedIn as SignedIn), rememberedBrowser: browserId };
    },

    async end(request, reply, notice) {
      if (request.session?.sessionId) {
        await store.endWithSuccessors(request.session.sessionId);
        await request.session.destroy();
      }
      reply.clearCookie(names.session, { path: '/' });
      renewCsrf(request, reply);
      if (notice) cookies.setNotice(reply, notice);
    },

    releaseBeforeAnswer: (request, release) => releasedBeforeAnswer(request, release),
    stillStored: (request) => store.isLive(request.session.sessionId),
    claimPending: (request) => store.claim(request.session.sessionId),

    async endOtherSessions(request, account) {
      const { sessionId } = request.session;
      const signedIn = { ...(request.session.signedIn as SignedIn), epoch: account.sessionEpoch };
      accountCache.forget(account.id);
      const ended = await store.endAllForAccount(account.id, sessionId);
      // As at the code step: the old ID's tombstone names the new one, so a logout racing this ends both.
      if (!(await store.claim(sessionId, reserveSessionId(request)))) return undefined;
      await request.session.regenerate([]);
      request.session.csrfSecret = app.newCsrfSecret();
      request.session.signedIn = signedIn;
      return ended;
    },

    async confirmed(request) {
      const { sessionId } = request.session;
      const signedIn = request.session.signedIn as SignedIn;
      // As at the code step: of this and a parallel logout or "sign out everywhere", one wins.
      if (!(await store.claim(sessionId, reserveSessionId(request)))) return false;
      await request.session.regenerate([]);
      request.session.csrfSecret = app.newCsrfSecret();
      request.session.signedIn = { ...signedIn, confirmedAt: Date.now() };
      return true;
    },

    addFactor: (factor) => void factors.push(factor),
    factors,
  };

  app.decorate('signIn', signIn);
  app.decorateRequest('account', null);

  // A cookie signed with an older SESSION_SECRET still verifies, but @fastify/session signs the ID
  // afresh, sees the two differ on an unchanged session, and clears the cookie: the user would be
  // signed out on their next request. Saving the session re-issues the cookie under the new secret.
  app.addHook('onRequest', (request, _reply, done) => {
    const cookie = request.cookies[names.session];
    const session = request.session;
    if (cookie && session?.encryptedSessionId && cookie !== session.encryptedSessionId && signIn.state(request) !== 'anonymous') {
      session.save(done);
      return;
    }
    done();
  });

  app.decorate('requireSignedIn', createGate(signIn, accountCache, audit, cookies));
  app.decorate('requireRecentSignIn', createRequireRecentSignIn(stepUpMs));
  app.decorate('isRecentSignIn', (request: FastifyRequest) => isRecent(request.session.signedIn, stepUpMs));
}

export default fp(signInPlugin, { name: 'signin', dependencies: ['@fastify/session', '@fastify/cookie', 'csrf'] });
