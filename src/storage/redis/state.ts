// Sessions and counters on Redis (REDIS_URL), shared by every instance that names the same
// Redis and key prefix. One client serves both; see client.ts for how it fails and recovers.
import type { StateBackend, StateOptions } from '../backend.ts';
import { closeClient, createRedisClient, rethrowRedisFailure, untilReady } from './client.ts';
import type { RedisClientOptions } from './client.ts';
import { createRedisLimits } from './limits.ts';
import { createRedisSessionStore } from './session-store.ts';

export type RedisStateOptions = StateOptions &
  RedisClientOptions & {
    /** Prepended to every key (e.g. `signin:`), so apps or tests can share one Redis. */
    keyPrefix: string;
  };

/** How long the start waits for a first answer before giving up with an unavailable error. */
const FIRST_CONNECT_MS = 5000;
/** /healthz answers quickly even when Redis hangs rather than refuses. */
const PING_TIMEOUT_MS = 1000;

/**
 * Connects and resolves once Redis answers; rejects (a BackendUnavailableError, without the URL,
 * which may hold a password) when it does not, so a start with Redis unreachable stops clearly.
 * After that, an outage only fails the calls made during it.
 */
export async function openRedisState(url: string, options: RedisStateOptions): Promise<StateBackend> {
  const { keyPrefix, rules, limitOverrides } = options;
  const client = createRedisClient(url, options);
  await untilReady(client, FIRST_CONNECT_MS);

  return {
    sessions: createRedisSessionStore(client, keyPrefix, rules),
    limits: createRedisLimits(client, keyPrefix, limitOverrides),
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Command timed out')), PING_TIMEOUT_MS);
      });
      try {
        await Promise.race([client.ping(), timeout]);
      } catch (error) {
        rethrowRedisFailure(error);
      } finally {
        clearTimeout(timer);
      }
    },
    // Sessions, tombstones, account indexes and counters all carry a TTL: Redis prunes them.
    async prune() {},
    close: () => closeClient(client),
  };
}
