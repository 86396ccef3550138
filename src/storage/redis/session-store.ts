// The session store on Redis: the SQLite store's semantics (session-store twin in
// src/storage/sqlite/session-store.ts), each operation one command or one Lua script, with
// Redis's own TTLs doing the expiry and the pruning.
import type { Session } from 'fastify';
import type { Redis } from 'ioredis';
import type { AuthSessionStore, SessionRules } from '../../session/auth-session-store.ts';
import { redisFailure, rethrowRedisFailure } from './client.ts';
import { defineSessionScripts } from './session-scripts.ts';
import { parseSession, serializeSession } from '../session-rows.ts';

type Callback = (error?: unknown) => void;
type SessionCallback = (error: unknown, session?: Session | null) => void;

/** A tombstone outlives any request that could still be holding its session. */
const TOMBSTONE_MS = 60 * 60 * 1000;

export function createRedisSessionStore(client: Redis, keyPrefix: string, rules: SessionRules): AuthSessionStore {
  const scripts = defineSessionScripts(client);
  const sessionKey = (sid: string) => `${keyPrefix}session:${sid}`;
  const tombstoneKey = (sid: string) => `${keyPrefix}ended:${sid}`;
  const accountKey = (userId: number) => `${keyPrefix}account:${userId}`;

  /** Ends the session (delete, tombstone, out of its account's index); true when it was live. */
  const end = (sid: string, successor: string | undefined, evenIfGone: boolean) =>
    scripts
      .end(sessionKey(sid), tombstoneKey(sid), keyPrefix, sid, successor ?? '', TOMBSTONE_MS, evenIfGone ? '1' : '0')
      .then((existed) => existed === 1, rethrowRedisFailure);

  return {
    get(sid: string, callback: SessionCallback) {
      client.hget(sessionKey(sid), 'data').then(
        (data) => callback(null, data === null ? null : parseSession(data)),
        (error) => callback(redisFailure(error)),
      );
    },

    set(sid: string, session: Session, callback: Callback) {
      let args: [string, number, string];
      try {
        // Relative TTL from this instance's clock; zero or less deletes instead of writing.
        const ttlMs = Math.ceil(rules.expiresAt(session) - Date.now());
        args = [serializeSession(session), Number.isFinite(ttlMs) ? ttlMs : 0, String(rules.accountOf(session) ?? '')];
      } catch (error) {
        callback(error);
        return;
      }
      scripts.setUnlessEnded(sessionKey(sid), tombstoneKey(sid), keyPrefix, sid, ...args).then(
        () => callback(),
        (error) => callback(redisFailure(error)),
      );
    },

    destroy(sid: string, callback: Callback) {
      end(sid, undefined, true).then(
        () => callback(),
        (error) => callback(error),
      );
    },

    claim: (sid, successor) => end(sid, successor, false),

    async isLive(sid) {
      return (await client.exists(sessionKey(sid)).catch(rethrowRedisFailure)) === 1;
    },

    async endWithSuccessors(sid) {
      await scripts.endChain(keyPrefix, sid, TOMBSTONE_MS).catch(rethrowRedisFailure);
    },

    async listForAccount(userId) {
      const flat = await scripts.listAccount(accountKey(userId), keyPrefix, String(userId)).catch(rethrowRedisFailure);
      const sessions: Array<{ sid: string; session: Session }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const session = parseSession(flat[i + 1]);
        if (session) sessions.push({ sid: flat[i], session });
      }
      return sessions;
    },

    endForAccount: (userId, sid) =>
      scripts
        .endOfAccount(sessionKey(sid), tombstoneKey(sid), keyPrefix, sid, String(userId), TOMBSTONE_MS)
        .then((ended) => ended === 1, rethrowRedisFailure),

    endAllForAccount: (userId, exceptSid) =>
      scripts.endAccount(accountKey(userId), keyPrefix, TOMBSTONE_MS, exceptSid ?? '', String(userId)).catch(rethrowRedisFailure),
  };
}
