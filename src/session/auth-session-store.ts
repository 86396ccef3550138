// What the sign-in needs of a session store beyond @fastify/session's get/set/destroy. Each
// backend (SQLite today) implements it with one atomic step per operation.
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
  /** Ends every session (pending or signed in) of an account; returns how many. */
  endAllForAccount(userId: number): Promise<number>;
}

/** How the store learns, from a session's own fields, when its row expires and whose it is. */
export interface SessionRules {
  /** ms since epoch after which the row reads as absent. */
  expiresAt(session: Session): number;
  accountOf(session: Session): number | undefined;
}
