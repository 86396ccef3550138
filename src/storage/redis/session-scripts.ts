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

// Every member of the account's index but ARGV[3] (the session to keep, '' for none) ends:
// deleted, tombstoned (even one whose key just expired, as destroy does) and taken out of the
// index. A member that SET has since moved to another account (not possible while the index and
// the hashes change only here and in SET, but cheap to check) is only taken out. Returns how many
// live sessions ended.
const END_ACCOUNT = `
local prefix, ttl, except, account = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ended = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if sid ~= except then
    local key = prefix .. 'session:' .. sid
    local owner = redis.call('HGET', key, 'account')
    if not owner or owner == account then
      ended = ended + redis.call('DEL', key)
      redis.call('SET', prefix .. 'ended:' .. sid, '', 'PX', ttl, 'NX')
    end
    redis.call('SREM', KEYS[1], sid)
  end
end
return ended`;

// One session, only if its hash names this account: END's steps (without a successor).
const END_OF_ACCOUNT = `
if redis.call('HGET', KEYS[1], 'account') ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. 'account:' .. ARGV[3], ARGV[2])
redis.call('SET', KEYS[2], '', 'PX', ARGV[4], 'NX')
return 1`;

// Read only: the index's members whose hash is there (not expired), names this account and has
// no tombstone, as a flat list sid, data, sid, data...
const LIST_ACCOUNT = `
local prefix, account, found = ARGV[1], ARGV[2], {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HMGET', prefix .. 'session:' .. sid, 'account', 'data')
  if fields[1] == account and fields[2] and redis.call('EXISTS', prefix .. 'ended:' .. sid) == 0 then
    found[#found + 1] = sid
    found[#found + 1] = fields[2]
  end
end
return found`;

type Arg = string | number;
type Script<R = number> = (...args: Arg[]) => Promise<R>;

export interface SessionScripts {
  /** (session, tombstone | prefix, sid, data, ttlMs, account|''): 1 written, 0 dropped. */
  setUnlessEnded: Script;
  /** (session, tombstone | prefix, sid, successor|'', tombstoneMs, '1'|'0'): 1 when it was live. */
  end: Script;
  /** (prefix, sid, tombstoneMs). */
  endChain: Script;
  /** (account index | prefix, tombstoneMs, except sid|'', account): how many live sessions ended. */
  endAccount: Script;
  /** (session, tombstone | prefix, sid, account, tombstoneMs): 1 when it was that account's, live. */
  endOfAccount: Script;
  /** (account index | prefix, account): [sid, data, sid, data, ...]. */
  listAccount: Script<string[]>;
}

const DEFINITIONS = {
  setUnlessEnded: { lua: SET, numberOfKeys: 2 },
  end: { lua: END, numberOfKeys: 2 },
  endChain: { lua: END_CHAIN, numberOfKeys: 0 },
  endAccount: { lua: END_ACCOUNT, numberOfKeys: 1 },
  endOfAccount: { lua: END_OF_ACCOUNT, numberOfKeys: 2 },
  listAccount: { lua: LIST_ACCOUNT, numberOfKeys: 1 },
} as const;

/**
 * Registers the scripts on the client (EVALSHA, falling back to EVAL when Redis has not seen
 * them, e.g. after a restart) under names of their own, and returns them typed.
 */
export function defineSessionScripts(client: Redis): SessionScripts {
  const scripts = {} as Record<keyof SessionScripts, Script<unknown>>;
  for (const [name, definition] of Object.entries(DEFINITIONS) as Array<[keyof SessionScripts, (typeof DEFINITIONS)[keyof SessionScripts]]>) {
    const command = `signinSession_${name}`;
    client.defineCommand(command, definition);
    const run = (client as unknown as Record<string, Script<unknown>>)[command];
    scripts[name] = (...args) => run.apply(client, args);
  }
  return scripts as SessionScripts;
}
