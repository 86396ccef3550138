// The sign-in plugin owns the session: every transition (begin, replace the Verify request,
// complete, end), the timeouts and the gate in front of protected routes. Routes call
// `app.signIn` and never edit `request.session` themselves. The fields and the timing rules are
// in signin-state.ts; the counters in src/state/budgets.ts.
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import type { AuditLog } from '../accounts/audit-log.ts';
import type { Budgets } from '../state/budgets.ts';
import type { AuthSessionStore } from './auth-session-store.ts';
import type { CookieNames, LoginCookies, NoticeKey } from './login-cookies.ts';
import { hasTimedOut, stateOf } from './signin-state.ts';
import { createGate } from './signin-gate.ts';
import type { Gate } from './signin-gate.ts';
import type { AccountCache } from '../accounts/account-cache.ts';
import { reserveSessionId } from './session-ids.ts';
import { releaseBeforeAnswer } from './release-before-answer.ts';
import type { CodeNotice, PendingSignIn, SessionTimes, SignedIn, SignInState } from './signin-state.ts';

/** Enough to name a browser; the rest of a long User-Agent header is not kept. */
const USER_AGENT_MAX = 256;

export interface SignInOptions {
  names: CookieNames;
  cookies: LoginCookies;
  store: AuthSessionStore;
  /** The gate's reads (a few seconds' cache); the code step reads the store itself. */
  accountCache: AccountCache;
  audit: AuditLog;
  budgets: Budgets;
  times: SessionTimes;
}

export interface SignIn {
  state(request: FastifyRequest): SignInState;
  /** The pending sign-in, while it is pending and within its 10 minutes. */
  pending(request: FastifyRequest): PendingSignIn | undefined;
  /** A pending or finished sign-in whose time ran out (the page says so). */
  timedOut(request: FastifyRequest): boolean;
  /** After the password step: a new session ID holding only the pending sign-in. */
  begin(request: FastifyRequest, reply: FastifyReply, account: Account, requestId: string): Promise<void>;
  /** A code went out again (possibly under a new Verify request): the 10 minutes start over. */
  codeResent(request: FastifyRequest, requestId: string): void;
  takeCodeNotice(request: FastifyRequest): CodeNotice | undefined;
  /**
   * After the code step: a new session ID, signed in. Undefined when the pending session was
   * ended meanwhile (a parallel cancel or logout won): nobody is signed in then.
   */
  complete(request: FastifyRequest, reply: FastifyReply, account: Account): Promise<string | undefined>;
  /**
   * At the password step, when a remembered browser (`browserId`) skips the code: a new session
   * ID, signed in, exactly as after a code (new CSRF secret, device cookie). Returns where to go.
   */
  completeRemembered(request: FastifyRequest, reply: FastifyReply, account: Account, browserId: string): Promise<string>;
  /** The signed-in session's browser was just remembered as `browserId` (the box at the code step). */
  rememberedAs(request: FastifyRequest, browserId: string): void;
  /** Destroys the session server-side, forgets the cookie, renews the CSRF secret. */
  end(request: FastifyRequest, reply: FastifyReply, notice?: NoticeKey): Promise<void>;
  /**
   * Holds the lock of this pending sign-in's Verify request (several pending sessions may share
   * one request); undefined when another request holds it. The lock is released before this
   * request's answer goes out, whichever way it is sent (after the session is saved, so the
   * browser's next request finds both done); the returned release (once only) is for a handler
   * that fails before answering.
   */
  holdVerifyCalls(request: FastifyRequest, pending: PendingSignIn): Promise<(() => Promise<void>) | undefined>;
  /** Whether this request's session is still stored: under the Verify lock, nothing else rotates it. */
  stillStored(request: FastifyRequest): Promise<boolean>;
  /**
   * Ends the pending sign-in if it is still pending, atomically; false when a parallel request
   * (a code check that completed it, a logout) got there first.
   */
  claimPending(request: FastifyRequest): Promise<boolean>;
  /**
   * The signed-in account has just moved its session epoch (a password change, or "sign out all
   * other browsers"; the new epoch in `account`): every other session of the account ends, this
   * one gets a new ID and CSRF secret and stays signed in under the new epoch. Returns how many
   * other sessions ended; undefined when this one had ended meanwhile (a parallel logout).
   */
  endOtherSessions(request: FastifyRequest, account: Account): Promise<number | undefined>;
  cookies: LoginCookies;
}

declare module 'fastify' {
  interface FastifyInstance {
    signIn: SignIn;
    /** onRequest hook: lets only sessions whose code check succeeded through, and sets `request.account`. */
    requireSignedIn: Gate;
  }
  interface FastifyRequest {
    /** The signed-in account, read afresh on each protected request (a disabled account is gone). */
    account: Account | null;
  }
}

async function signInPlugin(app: FastifyInstance, options: SignInOptions): Promise<void> {
  const { names, cookies, store, accountCache, audit, budgets, times } = options;
  const releasedBeforeAnswer = releaseBeforeAnswer(app);

  // A visitor's CSRF secret lives in its own cookie (a session's, in the session: see csrf.ts):
  // forgetting the cookie makes the next anonymous page issue a new one.
  const renewCsrf = (request: FastifyRequest, reply: FastifyReply) => {
    delete request.cookies[names.csrf];
    reply.clearCookie(names.csrf, { path: '/' });
  };

  /** A new session ID holding a finished sign-in: after a code, or a remembered browser's password step. */
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

    async begin(request, reply, account, requestId) {
      const returnTo = cookies.takeReturnTo(request, reply);
      await request.session.regenerate([]);
      request.session.pending = { userId: account.id, epoch: account.sessionEpoch, requestId, sentAt: Date.now() };
      if (returnTo) request.session.returnTo = returnTo;
    },

    codeResent(request, requestId) {
      const pending = request.session.pending as PendingSignIn;
      const step = requestId === pending.requestId ? (pending.step ?? 0) + 1 : 0; // a new request starts its workflow over
      request.session.pending = { ...pending, requestId, sentAt: Date.now(), step };
      request.session.codeNotice = 'resent';
    },

    takeCodeNotice(request) {
      const notice = request.session.codeNotice;
      if (notice) delete request.session.codeNotice;
      return notice;
    },

    async complete(request, reply, account) {
      const { returnTo, sessionId } = request.session;
      // The one atomic decision: of this request and a parallel cancel, logout or second
      // submit, only the one that ends the pending session's row goes on. The old row's
      // tombstone names the new ID, so a logout still holding the old cookie ends it too.
      if (!(await store.claim(sessionId, reserveSessionId(request)))) return undefined;
      await signedInAs(request, reply, account);
      return returnTo ?? '/';
    },

    async completeRemembered(request, reply, account, browserId) {
      // From an anonymous (or pending) session, as begin() starts one: regenerate ends the old ID.
      const returnTo = cookies.takeReturnTo(request, reply);
      await signedInAs(request, reply, account, browserId);
      return returnTo ?? '/';
    },

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

    async holdVerifyCalls(request, pending) {
      const release = await budgets.holdVerifyCalls(pending.requestId);
      return release && releasedBeforeAnswer(request, release);
    },
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
}

export default fp(signInPlugin, { name: 'signin', dependencies: ['@fastify/session', '@fastify/cookie', 'csrf'] });
