// The limits on Redis: rate-limiter-flexible's RateLimiterRedis on the shared ioredis client.
// Its consume, penalty and reward are one Lua script each (SET NX with the window's EX, then
// INCRBY, then PTTL), so instances sharing one Redis count together, exactly; the window is
// fixed (the EX is set only by the call that creates the key) and Redis expires it.
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createLimits } from '../../state/limits.ts';
import type { LimitName, LimitSettings, Limits } from '../../state/limits.ts';
import { rethrowRedisFailure } from './client.ts';

export function createRedisLimits(client: Redis, keyPrefix: string, overrides: Partial<Record<LimitName, LimitSettings>> = {}): Limits {
  const limits = createLimits(
    (name, { points, seconds }) =>
      new RateLimiterRedis({
        storeClient: client,
        // The atomic Lua path written for ioredis (not node-redis's call shapes).
        useRedisPackage: false,
        // Keys read `<prefix>limit:<name>:<hashed key>`: apart from sessions and other apps.
        keyPrefix: `${keyPrefix}limit:${name}`,
        points,
        duration: seconds,
        // Each limiter would keep an in-process copy of "blocked" keys; Redis is the one truth.
        inMemoryBlockOnConsumed: 0,
      }),
    overrides,
  );
  // A limit that cannot be read fails closed upstream, as a 503 rather than a 500.
  return {
    consume: (...entries) => limits.consume(...entries).catch(rethrowRedisFailure),
    refund: (...entries) => limits.refund(...entries).catch(rethrowRedisFailure),
    penalize: (name, key) => limits.penalize(name, key).catch(rethrowRedisFailure),
    reset: (...entries) => limits.reset(...entries).catch(rethrowRedisFailure),
    peek: (...entries) => limits.peek(...entries).catch(rethrowRedisFailure),
    clear: (...entries) => limits.clear(...entries).catch(rethrowRedisFailure),
  };
}
