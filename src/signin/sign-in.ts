// What the sign-in plugin (plugin.ts) gives the app as `app.signIn`: the only code that writes the
// sign-in's part of the session. Routes and factors call it; none edits `request.session.pending`
// or `signedIn` itself.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import type { LoginCookies, NoticeKey } from '../session/login-cookies.ts';
import type { FactorProof, SecondFactor } from './factors/factor.ts';
import type { Gate } from './gate.ts';
import type { RequireRecentSignIn } from './recent-sign-in.ts';
import type { PendingSignIn, SignInState } from './state.ts';

export type Release = () => Promise<void>;

export interface SignIn {
  state(request: FastifyRequest): SignInState;
  /** The pending sign-in, while it is pending and within its 10 minutes. */
  pending(request: FastifyRequest): PendingSignIn | undefined;
  /** A pending or finished sign-in whose time ran out (the page says so). */
  timedOut(request: FastifyRequest): boolean;
  /** After the password step: a new session ID holding only "password verified, second factor pending". */
  begin(request: FastifyRequest, reply: FastifyReply, account: Account): Promise<void>;
  /** A factor started over (a new code went out): the pending sign-in's 10 minutes start over. */
  renew(request: FastifyRequest): void;
  /**
   * The one transition every factor finishes a sign-in through: claims the pending sign-in
   * atomically (of this request and a parallel cancel, logout or second submit, only one goes
   * on), re-reads the account, rotates the session ID, writes `signedIn`, audits, runs the
   * factor's `afterwards`, and answers `303` to where the user was going. When it cannot (ended
   * meanwhile, account gone) it gives the factor's spending back and answers `303 /login`.
   */
  finish(request: FastifyRequest, reply: FastifyReply, proof: FactorProof): Promise<FastifyReply>;
  /** The signed-in session's browser was just remembered as `browserId` (the box at the code step). */
  rememberedAs(request: FastifyRequest, browserId: string): void;
  /** Destroys the session server-side, forgets the cookie, renews the CSRF secret. */
  end(request: FastifyRequest, reply: FastifyReply, notice?: NoticeKey): Promise<void>;
  /**
   * Ties a lock's release to this request: it runs before the answer goes out, whichever way it is
   * sent (after the session is saved, so the browser's next request finds both done). The
   * returned release (once only) is for a handler that is done with the lock sooner.
   */
  releaseBeforeAnswer(request: FastifyRequest, release: Release): Release;
  /** Whether this request's session is still stored: under a factor's lock, nothing else rotates it. */
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
  /**
   * The signed-in user has just given the password and a code again (/account/confirm): a new
   * session ID and CSRF secret, still signed in, with `confirmedAt` now (not a new sign-in: its
   * time limits stay). False when this session ended meanwhile (a logout, "sign out everywhere").
   */
  confirmed(request: FastifyRequest): Promise<boolean>;
  /** Registers a second factor; asked after the password in registration order. */
  addFactor(factor: SecondFactor): void;
  readonly factors: readonly SecondFactor[];
  cookies: LoginCookies;
}

declare module 'fastify' {
  interface FastifyInstance {
    signIn: SignIn;
    /** onRequest hook: lets only sessions whose second factor succeeded through, and sets `request.account`. */
    requireSignedIn: Gate;
    /** A sensitive route's preHandler (recent-sign-in.ts): 303 /account/confirm unless signed in or confirmed recently. */
    requireRecentSignIn: RequireRecentSignIn;
    /** Whether a sensitive action would go through now (a page says so before its button is pressed). */
    isRecentSignIn(request: FastifyRequest): boolean;
  }
  interface FastifyRequest {
    /** The signed-in account, read afresh on each protected request (a disabled account is gone). */
    account: Account | null;
  }
}
