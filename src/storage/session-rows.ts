// How every session store (SQLite, PostgreSQL, Redis) writes a session and reads it back.
import type { Session } from 'fastify';

/**
 * Keeps only the cookie's expiry from the plugin's Cookie object: on load, @fastify/session
 * merges the stored cookie over the configured cookie options and needs nothing else back
 * (`expires` to refuse an expired session, `originalMaxAge` to renew maxAge). Leaving out
 * path, domain, secure and sameSite keeps rows small and lets a changed configuration apply
 * to sessions that already exist.
 */
export function serializeSession(session: Session): string {
  const { cookie, ...data } = session;
  return JSON.stringify({ ...data, cookie: { expires: cookie?.expires ?? null, originalMaxAge: cookie?.originalMaxAge ?? null } });
}

/** Unreadable (hand-edited, truncated, not an object): a fresh session, not a failed request. */
export function parseSession(data: string): Session | null {
  try {
    const session: unknown = JSON.parse(data);
    return typeof session === 'object' && session !== null && !Array.isArray(session) ? (session as Session) : null;
  } catch {
    return null;
  }
}
