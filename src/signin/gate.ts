// The gate in front of protected routes: only a session whose code check succeeded, for an
// account that is still the one it was started for, gets through, with `request.account` set.
// A signed-in request whose account was read in the last few seconds passes without a promise
// or a database read (the account cache); everything else takes the slow path.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AccountCache } from '../accounts/account-cache.ts';
import type { AuditLog } from '../accounts/audit-log.ts';
import type { LoginCookies } from '../session/login-cookies.ts';
import { sameOriginPath } from '../session/login-cookies.ts';
import { SEEN_WRITE_INTERVAL_MS, stillBelongs } from './state.ts';
import type { Account } from '../accounts/account-store.ts';
import type { NoticeKey } from '../session/login-cookies.ts';
import type { SignInState } from './state.ts';

/** What the gate needs of the sign-in plugin (signin.ts's SignIn). */
export interface GateSteps {
  state(request: FastifyRequest): SignInState;
  timedOut(request: FastifyRequest): boolean;
  end(request: FastifyRequest, reply: FastifyReply, notice?: NoticeKey): Promise<void>;
}

export type Gate = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * The one protected page an account whose password an admin seeded reaches (must_change_password):
 * every other one sends it here, remembering a GET's destination for after the change.
 */
export const PASSWORD_CHANGE_PATH = '/account/password';

export function createGate(signIn: GateSteps, accounts: AccountCache, audit: AuditLog, cookies: LoginCookies): Gate {
  /** Lets the request through (true), or answers it with the password page (false). */
  const admit = (request: FastifyRequest, reply: FastifyReply, account: Account): boolean => {
    if (account.mustChangePassword && request.routeOptions.url !== PASSWORD_CHANGE_PATH) {
      const goingTo = request.method === 'GET' ? sameOriginPath(request.url) : undefined;
      if (goingTo) cookies.rememberReturnTo(reply, goingTo);
      reply.redirect(PASSWORD_CHANGE_PATH, 303);
      return false;
    }
    request.account = account;
    const signedIn = request.session.signedIn as NonNullable<typeof request.session.signedIn>;
    const now = Date.now();
    // Idle time is counted from the last write: at most one session write a minute.
    if (now - signedIn.seenAt >= SEEN_WRITE_INTERVAL_MS) request.session.signedIn = { ...signedIn, seenAt: now };
    return true;
  };

  /** Resolves true when the request may go on; false when it was answered (a redirect). */
  async function slowPath(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const state = signIn.state(request);
    if (state === 'signed-in') {
      const signedIn = request.session.signedIn as NonNullable<typeof request.session.signedIn>;
      // Not cached, or cached with another epoch (a sign-in since re-enabling): ask the store.
      const account = await accounts.load(signedIn.userId);
      if (account && stillBelongs(account, signedIn)) return admit(request, reply, account);
      // Disabled (even if enabled again since) or deleted since sign-in: the session no longer
      // stands for anyone. A session kept in Redis is ended here; one in the database already
      // was, by the trigger.
      await audit.record('session-ended', request, { userId: signedIn.userId, detail: 'account-unavailable' });
      await signIn.end(request, reply, 'account-unavailable');
      reply.redirect('/login', 303);
      return false;
    }
    const goingTo = request.method === 'GET' ? sameOriginPath(request.url) : undefined;
    if (state === 'pending') {
      if (goingTo) request.session.returnTo = goingTo;
      reply.redirect('/login/code', 303);
      return false;
    }
    if (signIn.timedOut(request)) {
      const userId = request.session.signedIn?.userId ?? request.session.pending?.userId;
      await audit.record('session-ended', request, { userId, detail: 'timed-out' });
      await signIn.end(request, reply, 'session-ended');
    }
    if (goingTo) cookies.rememberReturnTo(reply, goingTo);
    reply.redirect('/login', 303);
    return false;
  }

  return function requireSignedIn(request, reply, done) {
    const signedIn = request.session?.signedIn;
    if (signedIn && signIn.state(request) === 'signed-in') {
      const account = accounts.fresh(signedIn.userId);
      if (account && stillBelongs(account, signedIn)) {
        // Sent to the password page: answered, so no `done` (see below).
        if (admit(request, reply, account)) done();
        return;
      }
    }
    // A callback hook that has answered must not call `done`: the route would run while the
    // answer's onSend hooks (the session save) are still in flight.
    slowPath(request, reply).then((goOn) => goOn && done(), done);
  };
}
