// What the sign-in needs of a session store beyond @fastify/session's get/set/destroy. Each
// backend (SQLite, PostgreSQL, Redis) implements it with one atomic step per operation.
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';

export interface AuthSessionStore extends SessionStore {
  /**
   * Ends the session with this ID if it is still live, in one atomic step, and says whether it
   * was: of several requests racing to rotate or end the same session, exactly one gets `true`.
   * `successor` names the ID it is being rotated to, so that ending this ID later ends that too.
   */
  claim(sid: string, successor?: string): Promise<boolean>;
  /** Whether a live row has this ID (under a sign-in's lock, where nothing else rotates it). */
  isLive(sid: string): Promise<boolean>;
  /**
   * Ends this session and every session it was rotated into (a logout that raced a code check
   * ends the signed-in session the check made, even one not written yet).
   */
  endWithSuccessors(sid: string): Promise<void>;
  /**
   * The account's live sessions (stored, not expired, not ended), pending and signed in both: the
   * caller decides which to show (a row outlives its sign-in by a grace period, see signin-state.ts).
   * Unreadable rows are left out. In no particular order.
   */
  listForAccount(userId: number): Promise<Array<{ sid: string; session: Session }>>;
  /**
   * Ends this one session, as `destroy` does (tombstone included), but only if it belongs to this
   * account, in one atomic step; true when it did end a live session of that account.
   */
  endForAccount(userId: number, sid: string): Promise<boolean>;
  /**
   * Ends every session (pending or signed in) of an account, in one atomic step, except
   * `exceptSid` when given (sign out every other browser); returns how many live ones it ended.
   * Every session of the account stored when the step runs ends; one written after it (a sign-in
   * completing at that moment) is not touched.
   */
  endAllForAccount(userId: number, exceptSid?: string): Promise<number>;
}

/** How the store learns, from a session's own fields, when its row expires and whose it is. */
export interface SessionRules {
  /** ms since epoch after which the row reads as absent. */
  expiresAt(session: Session): number;
  accountOf(session: Session): number | undefined;
}
