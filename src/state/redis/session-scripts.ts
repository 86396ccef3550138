// The session store's atomic steps, as Lua scripts: Redis runs each one whole, with no other
// command in between, which is what makes "write unless ended" and "end exactly once" hold
// across instances. Keys, all under the configured prefix P:
//   P session:<sid>     hash { data = JSON, account = user id (absent when anonymous) }, PX = its expiry
//   P ended:<sid>       tombstone of an ended ID: its successor ID or '', PX = one hour
//   P account:<userId>  set of that account's session IDs, PX >= its longest-lived session
// Keys other than KEYS[n] are derived from the prefix inside the script (a successor, an
// account's members): fine on a single Redis, which is what REDIS_URL names (not Cluster).
import type { Redis } from 'ioredis';

const SET = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local prefix, sid, ttl, account = ARGV[1], ARGV[2], tonumber(ARGV[4]), ARGV[5]
local previous = redis.call('HGET', KEYS[1], 'account')
if previous and (previous ~= account or ttl <= 0) then
  redis.call('SREM', prefix .. 'account:' .. previous, sid)
end
redis.call('DEL', KEYS[1])
if ttl <= 0 then return 0 end
if account == '' then
  redis.call('HSET', KEYS[1], 'data', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'data', ARGV[3], 'account', account)
end
redis.call('PEXPIRE', KEYS[1], ttl)
if account ~= '' then
  local index = prefix .. 'account:' .. account
  if redis.call('SADD', index, sid) == 1 then
    -- A new member: drop the members whose session has expired, so the set stays small.
    for _, member in ipairs(redis.call('SMEMBERS', index)) do
      if redis.call('EXISTS', prefix .. 'session:' .. member) == 0 then redis.call('SREM', index, member) end
    end
  end
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end
return 1`;

// ARGV[5] = '1' (destroy): tombstone even when the key is gone (expired by TTL while a request
// still held it), so that request cannot write it back. NX keeps a tombstone's successor.
const END = `
local account = redis.call('HGET', KEYS[1], 'account')
local existed = redis.call('DEL', KEYS[1])
if account then redis.call('SREM', ARGV[1] .. 'account:' .. account, ARGV[2]) end
if existed == 1 or ARGV[5] == '1' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4], 'NX') end
return existed`;

// Follows the rotation chain through the tombstones; a successor not written yet gets its
// tombstone now, so its later set is dropped.
const END_CHAIN = `
local prefix, ttl, sid, seen = ARGV[1], ARGV[3], ARGV[2], {}
while sid and sid ~= '' and not seen[sid] do
  seen[sid] = true
  local key = prefix .. 'session:' .. sid
  local account = redis.call('HGET', key, 'account')
  redis.call('DEL', key)
  if account then redis.call('SREM', prefix .. 'account:' .. account, sid) end
  local tombstone = prefix .. 'ended:' .. sid
  redis.call('SET', tombstone, '', 'PX', ttl, 'NX')
  sid = redis.call('GET', tombstone)
end
return 0`;

const END_ACCOUNT = `
local ended = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('DEL', ARGV[1] .. 'session:' .. sid) == 1 then
    ended = ended + 1
    redis.call('SET', ARGV[1] .. 'ended:' .. sid, '', 'PX', ARGV[2], 'NX')
  end
end
redis.call('DEL', KEYS[1])
return ended`;

type Arg = string | number;
type Script = (...args: Arg[]) => Promise<number>;

export interface SessionScripts {
  /** (session, tombstone | prefix, sid, data, ttlMs, account|''): 1 written, 0 dropped. */
  setUnlessEnded: Script;
  /** (session, tombstone | prefix, sid, successor|'', tombstoneMs, '1'|'0'): 1 when it was live. */
  end: Script;
  /** (prefix, sid, tombstoneMs). */
  endChain: Script;
  /** (account index | prefix, tombstoneMs): how many sessions ended. */
  endAccount: Script;
}

const DEFINITIONS = {
  setUnlessEnded: { lua: SET, numberOfKeys: 2 },
  end: { lua: END, numberOfKeys: 2 },
  endChain: { lua: END_CHAIN, numberOfKeys: 0 },
  endAccount: { lua: END_ACCOUNT, numberOfKeys: 1 },
} as const;

/**
 * Registers the scripts on the client (EVALSHA, falling back to EVAL when Redis has not seen
 * them, e.g. after a restart) under names of their own, and returns them typed.
 */
export function defineSessionScripts(client: Redis): SessionScripts {
  const scripts = {} as Record<keyof SessionScripts, Script>;
  for (const [name, definition] of Object.entries(DEFINITIONS) as Array<[keyof SessionScripts, (typeof DEFINITIONS)[keyof SessionScripts]]>) {
    const command = `signinSession_${name}`;
    client.defineCommand(command, definition);
    const run = (client as unknown as Record<string, (...args: Arg[]) => Promise<number>>)[command];
    scripts[name] = (...args) => run.apply(client, args);
  }
  return scripts;
}
