// The fields the sign-in keeps in the server-side session, and the rules that read them. Only
// the sign-in plugin (signin.ts) writes these fields; everything here is a pure function of a
// session and the clock, so the store can apply the same expiry the gate does.
//
//   anonymous -> (password right) -> pending -> (a second factor right) -> signed in
//
// The pending state says only "password verified, second factor pending": what a factor needs
// meanwhile (the Verify request of the verify-code factor) is that factor's own session key, in
// its own module under factors/. A pending sign-in stored before this shape (no `renewedAt`)
// reads as timed out: it would have lasted 10 minutes at most anyway.
import type { Session } from 'fastify';
import type { SessionRules } from '../session/auth-session-store.ts';

export interface PendingSignIn {
  userId: number;
  /** The account's session epoch at the password step (see Account). */
  epoch: number;
  /**
   * When the password step passed, or a factor started over (a new code sent), in ms since
   * epoch; the pending state ends 10 minutes later.
   */
  renewedAt: number;
}

export interface SignedIn {
  userId: number;
  /** The account's session epoch at sign-in (see Account). */
  epoch: number;
  /** ms since epoch; the session ends SESSION_MAX_HOURS later whatever happens. */
  signedInAt: number;
  /**
   * When the password and a code were last asked again at /account/confirm (ms since epoch): a
   * sensitive action needs this or `signedInAt` within STEP_UP_MINUTES (recent-sign-in.ts). It
   * does not move `signedInAt`: a confirmation is not a new sign-in and lengthens nothing.
   */
  confirmedAt?: number;
  /** Last request seen, written at most once a minute; idle for SESSION_IDLE_MINUTES ends it. */
  seenAt: number;
  /**
   * Shown on "Your sessions" (and by `npm run sessions`): where and in what browser the sign-in
   * happened, and a random handle that names this session on that page instead of its ID.
   * Absent from sessions signed in before these fields existed.
   */
  address?: string;
  userAgent?: string;
  handle?: string;
  /**
   * The remembered browser this session was signed in from or remembered as (its random browser
   * id, never its token): ending this session forgets that browser too.
   */
  rememberedBrowser?: string;
}

declare module 'fastify' {
  interface Session {
    pending?: PendingSignIn;
    signedIn?: SignedIn;
    /** Where the user was going when the gate sent them to sign in (a same-origin path). */
    returnTo?: string;
  }
}

export type SignInState = 'anonymous' | 'pending' | 'signed-in';

/** Whether this (re-read) account is still the one the session was started for, and enabled. */
export function stillBelongs(account: { sessionEpoch: number } | undefined, part: { epoch: number }): boolean {
  return account !== undefined && account.sessionEpoch === part.epoch;
}

export interface SessionTimes {
  idleMs: number;
  maxMs: number;
}

/** The pending state ends this long after the latest code was sent (Vonage's own expiry is shorter). */
export const PENDING_TTL_MS = 10 * 60 * 1000;
/** `seenAt` is written at most this often, so a busy session is not rewritten on every request. */
export const SEEN_WRITE_INTERVAL_MS = 60 * 1000;

export function stateOf(session: Session | null | undefined, times: SessionTimes, now = Date.now()): SignInState {
  if (!session) return 'anonymous';
  const { signedIn, pending } = session;
  if (signedIn) return now < signedInExpiry(signedIn, times) ? 'signed-in' : 'anonymous';
  if (pending && now < pending.renewedAt + PENDING_TTL_MS) return 'pending';
  return 'anonymous';
}

/** True when the session holds a sign-in (pending or done) that has run out of time. */
export function hasTimedOut(session: Session | null | undefined, times: SessionTimes, now = Date.now()): boolean {
  if (!session || (!session.signedIn && !session.pending)) return false;
  return stateOf(session, times, now) === 'anonymous';
}

function signedInExpiry(signedIn: SignedIn, { idleMs, maxMs }: SessionTimes): number {
  return Math.min(signedIn.seenAt + idleMs, signedIn.signedInAt + maxMs);
}

/** An old-shape pending sign-in (no `renewedAt`) gets a row that lives one more window, read as timed out. */
function pendingSince(pending: PendingSignIn, now = Date.now()): number {
  return Number.isFinite(pending.renewedAt) ? pending.renewedAt : now;
}

/**
 * A row outlives its sign-in by this much, so that the gate, not the store, finds it timed out
 * and can tell the user so ("your sign-in timed out") instead of silently starting afresh.
 */
const ROW_GRACE_MS = 15 * 60 * 1000;

export function sessionRules(times: SessionTimes, anonymousTtlMs: number): SessionRules {
  return {
    expiresAt(session) {
      if (session.signedIn) return signedInExpiry(session.signedIn, times) + ROW_GRACE_MS;
      if (session.pending) return pendingSince(session.pending) + PENDING_TTL_MS + ROW_GRACE_MS;
      const cookieExpiry = session.cookie?.expires ? new Date(session.cookie.expires).getTime() : NaN;
      return Number.isFinite(cookieExpiry) ? cookieExpiry : Date.now() + anonymousTtlMs;
    },
    accountOf: (session) => session.signedIn?.userId ?? session.pending?.userId,
  };
}
