// For tests that fake Date to skip a cooldown or a timeout: Redis expires keys on its own clock,
// which a faked Date does not move. This moves every key under a prefix the same distance
// forward: its TTL shortened by `ms`, or the key gone when that reaches its end.
import type { Redis } from 'ioredis';

const ADVANCE = `
local ms = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local ttl = redis.call('PTTL', key)
  if ttl > ms then redis.call('PEXPIRE', key, ttl - ms) elseif ttl >= 0 then redis.call('DEL', key) end
end
return 0`;

export async function advanceRedisTime(client: Redis, prefix: string, ms: number): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.eval(ADVANCE, keys.length, ...keys, ms);
    cursor = next;
  } while (cursor !== '0');
}
