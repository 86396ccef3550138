// A session store's callback API as promises, and sessions shaped as the sign-in writes them:
// shared by the SQLite, PostgreSQL and Redis store tests.
import type { Session } from 'fastify';
import type { SessionStore } from '@fastify/session';

export const HOUR = 60 * 60 * 1000;

export const getSession = (store: SessionStore, sid: string) =>
  new Promise<Session | null | undefined>((resolve, reject) =>
    store.get(sid, (error, session) => (error ? reject(error) : resolve(session))),
  );
export const setSession = (store: SessionStore, sid: string, session: object) =>
  new Promise<void>((resolve, reject) => store.set(sid, session as Session, (error) => (error ? reject(error) : resolve())));
export const destroySession = (store: SessionStore, sid: string) =>
  new Promise<void>((resolve, reject) => store.destroy(sid, (error) => (error ? reject(error) : resolve())));

export const sessionExpiringAt = (expires: Date | null, data: Record<string, unknown> = {}) => ({
  ...data,
  cookie: { expires, originalMaxAge: expires ? expires.getTime() - Date.now() : null, path: '/', httpOnly: true },
});
export const inAnHour = (data: Record<string, unknown> = {}) => sessionExpiringAt(new Date(Date.now() + HOUR), data);
export const signedIn = (userId: number) => ({ signedIn: { userId, epoch: 1, signedInAt: Date.now(), seenAt: Date.now() } });
export const pending = (userId: number) => ({ pending: { userId, epoch: 1, renewedAt: Date.now() }, verifyCode: { requestId: 'r', sentAt: Date.now() } });
/** A sign-in whose last request was `msAgo` ago: past the idle limit (and the row's grace) at 2 hours. */
export const signedInIdleFor = (userId: number, msAgo: number) => ({
  signedIn: { userId, epoch: 1, signedInAt: Date.now() - msAgo, seenAt: Date.now() - msAgo },
});

/** The session IDs of a listForAccount answer, sorted: the stores list in no particular order. */
export const sidsOf = (listed: Array<{ sid: string }>) => listed.map(({ sid }) => sid).sort();
