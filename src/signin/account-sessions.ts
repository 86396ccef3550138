// "Your sessions": an account's signed-in browsers as a page may show them, and ending them. A
// session is named by its random `handle`, never by its ID (an ID is a bearer credential). Each
// end is the store's one atomic step, which checks the session is this account's.
import type { AuthSessionStore } from '../session/auth-session-store.ts';
import { browserName } from '../session/browser-name.ts';
import { stateOf } from './state.ts';
import type { SessionTimes } from './state.ts';

export interface ListedSession {
  /** Names the session in forms; absent for sessions signed in before handles existed. */
  handle?: string;
  signedInAt: number;
  seenAt: number;
  address: string;
  browser: string;
  /** The browser asking. */
  current: boolean;
}

export type EndOutcome = 'ended' | 'gone' | 'current';

/** An ended session's remembered browser (its id), which the caller forgets too. */
export interface Ended {
  outcome: EndOutcome;
  rememberedBrowser?: string;
}

export interface AccountSessions {
  /** The account's signed-in sessions (not pending ones, not timed out), newest first. */
  list(userId: number, currentSid: string): Promise<ListedSession[]>;
  /**
   * Ends the account's session named `handle`, unless it is the asking one or already over; when
   * it ended one signed in from (or remembered as) a remembered browser, names that browser.
   */
  endByHandle(userId: number, handle: string, currentSid: string): Promise<Ended>;
}

export function createAccountSessions(store: AuthSessionStore, times: SessionTimes): AccountSessions {
  const signedInOf = async (userId: number) => {
    const now = Date.now();
    const listed = await store.listForAccount(userId);
    return listed.flatMap(({ sid, session }) =>
      session.signedIn && session.signedIn.userId === userId && stateOf(session, times, now) === 'signed-in'
        ? [{ sid, signedIn: session.signedIn }]
        : [],
    );
  };

  return {
    async list(userId, currentSid) {
      const sessions = await signedInOf(userId);
      return sessions
        .map(({ sid, signedIn }) => ({
          handle: signedIn.handle,
          signedInAt: signedIn.signedInAt,
          seenAt: signedIn.seenAt,
          address: readableAddress(signedIn.address),
          browser: browserName(signedIn.userAgent),
          current: sid === currentSid,
        }))
        .sort((a, b) => b.signedInAt - a.signedInAt);
    },
    async endByHandle(userId, handle, currentSid) {
      const found = (await signedInOf(userId)).find(({ signedIn }) => signedIn.handle === handle);
      if (!found) return { outcome: 'gone' };
      if (found.sid === currentSid) return { outcome: 'current' };
      if (!(await store.endForAccount(userId, found.sid))) return { outcome: 'gone' };
      return { outcome: 'ended', rememberedBrowser: found.signedIn.rememberedBrowser };
    },
  };
}

/** `::ffff:192.0.2.1` (IPv4 on a dual-stack socket) reads as `192.0.2.1`. */
function readableAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
