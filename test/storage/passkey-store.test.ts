// Where passkeys are kept (src/accounts/passkey-store.ts) on the database engine under test: SQLite
// in `npm test`, PostgreSQL in `npm run test:postgres` (test/helpers/test-backend.ts). One backend
// for the file, opened as the app opens it; each test makes accounts of its own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_PASSKEYS } from '../../src/accounts/passkey-store.ts';
import type { NewPasskey, PasskeyStore } from '../../src/accounts/passkey-store.ts';
import { openBackends } from '../../src/storage/backends.ts';
import type { Backends } from '../../src/storage/backends.ts';
import { parseDatabaseUrl } from '../../src/storage/database-url.ts';
import { sessionRules } from '../../src/signin/state.ts';
import { HOUR } from '../helpers/session-calls.ts';
import { backendEnv, dropBackend, sqlOn, TEST_DATABASE } from '../helpers/test-backend.ts';
import { HASH } from './postgres/fresh-database.ts';

const MIGRATIONS = resolve(import.meta.dirname, '../../migrations');
const T0 = Date.UTC(2026, 11, 7, 12);

/** A credential ID as an authenticator makes one: 16 random bytes, base64url. */
const credentialId = () => randomBytes(16).toString('base64url');

/** Every byte value, a NUL first: a key must come back exactly as it went in. */
const KEY = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i + 256 - 1) % 256));

describe(`passkeys on ${TEST_DATABASE}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'signin-test-'));
  let backends: Backends;
  let databaseUrl = '';
  /** The SQLite file (on a SQLite run). */
  const databaseFile = () => databaseUrl.slice('sqlite:'.length);
  let store: PasskeyStore;
  let accounts = 0;

  beforeAll(async () => {
    const env = await backendEnv(dir);
    databaseUrl = env.DATABASE_URL;
    backends = await openBackends(
      { database: parseDatabaseUrl(env.DATABASE_URL), migrationsDirs: [MIGRATIONS], redisKeyPrefix: '' },
      { rules: sessionRules({ idleMs: 30 * 60_000, maxMs: 12 * HOUR }, HOUR), limitOverrides: {} },
    );
    store = backends.database.passkeys;
  });
  afterAll(async () => {
    await backends?.close();
    await dropBackend(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  async function newAccount(): Promise<number> {
    const email = `passkeys-${(accounts += 1)}@example.com`;
    await backends.database.createAccount({ email, phone: '+15555550100', passwordHash: HASH });
    return (await backends.database.accounts.findByEmail(email))!.id;
  }

  const passkey = (userId: number, fields: Partial<NewPasskey> = {}): NewPasskey => ({
    userId,
    credentialId: credentialId(),
    publicKey: KEY,
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backedUp: true,
    name: 'Passkey added on 7 Dec 2026',
    createdAt: T0,
    ...fields,
  });

  async function added(fields: NewPasskey) {
    const result = await store.add(fields);
    if (!('added' in result)) throw new Error(`refused: ${result.refused}`);
    return result.added;
  }

  it("keeps an account's passkeys byte for byte, oldest first, and finds and removes them only for that account", async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    expect(await store.has(alice)).toBe(false);
    expect(await store.list(alice)).toEqual([]);

    const first = passkey(alice, { transports: [], deviceType: 'singleDevice', backedUp: false, counter: 7, name: 'YubiKey' });
    const second = passkey(alice, { createdAt: T0 + 1000, name: 'Téléphone 📱' });
    const one = await added(first);
    const two = await added(second);
    expect(one).toEqual({ ...first, id: expect.any(Number), lastUsedAt: null });
    expect(two).toEqual({ ...second, id: expect.any(Number), lastUsedAt: null });
    expect(two.id).not.toBe(one.id);
    // A plain Uint8Array of its own, as @simplewebauthn wants it, with every byte intact.
    expect(Object.getPrototypeOf(one.publicKey)).toBe(Uint8Array.prototype);
    expect(Buffer.from(one.publicKey).equals(Buffer.from(KEY))).toBe(true);

    expect(await store.has(alice)).toBe(true);
    expect(await store.list(alice)).toEqual([one, two]);
    expect(await store.find(alice, second.credentialId)).toEqual(two);
    expect(await store.find(alice, credentialId())).toBeUndefined();

    // Bob sees none of them, and cannot remove one by its row id.
    expect(await store.has(bob)).toBe(false);
    expect(await store.list(bob)).toEqual([]);
    expect(await store.find(bob, first.credentialId)).toBeUndefined();
    expect(await store.remove(bob, one.id)).toBe(false);
    expect(await store.list(alice)).toEqual([one, two]);

    expect(await store.remove(alice, one.id)).toBe(true);
    expect(await store.remove(alice, one.id)).toBe(false);
    expect(await store.remove(alice, 2 ** 40)).toBe(false); // an id no row can have: no error either
    expect(await store.list(alice)).toEqual([two]);
    expect(await store.remove(alice, two.id)).toBe(true);
    expect(await store.has(alice)).toBe(false);
  });

  it(`holds the limit of ${MAX_PASSKEYS} under parallel adds: from 5, of 10 at once exactly 5 are added`, async () => {
    const alice = await newAccount();
    for (let i = 0; i < 5; i++) await added(passkey(alice));
    const results = await Promise.all(Array.from({ length: 10 }, () => store.add(passkey(alice))));
    expect(results.filter((result) => 'added' in result)).toHaveLength(5);
    expect(results.filter((result) => 'refused' in result && result.refused === 'full')).toHaveLength(5);
    expect(await store.list(alice)).toHaveLength(MAX_PASSKEYS);
    expect(await store.add(passkey(alice))).toEqual({ refused: 'full' });

    // The limit is per account, and the caller may name another.
    const bob = await newAccount();
    await added(passkey(bob));
    expect(await store.add(passkey(bob), 1)).toEqual({ refused: 'full' });
    expect(await store.add(passkey(bob), 2)).toMatchObject({ added: { userId: bob } });
  });

  it('adds under the session epoch given only while it is the account’s: a moved epoch or a disabled account refuses', async () => {
    const alice = await newAccount();
    const { sessionEpoch } = (await backends.database.accounts.findById(alice))!;
    expect(await store.add(passkey(alice), MAX_PASSKEYS, sessionEpoch)).toMatchObject({ added: { userId: alice } });
    // "Sign out everywhere" (or a password change) moves it: the session that read the old one is over.
    const moved = (await backends.database.accounts.moveSessionEpoch(alice))!;
    expect(await store.add(passkey(alice), MAX_PASSKEYS, sessionEpoch)).toEqual({ refused: 'signed-out' });
    expect(await store.add(passkey(alice), MAX_PASSKEYS, moved)).toMatchObject({ added: { userId: alice } });
    await sqlOn(dir, 'UPDATE users SET disabled = 1 WHERE id = $1', [alice]);
    const disabledEpoch = (await sqlOn(dir, 'SELECT session_epoch FROM users WHERE id = $1', [alice]))[0].session_epoch as number;
    expect(await store.add(passkey(alice), MAX_PASSKEYS, disabledEpoch)).toEqual({ refused: 'signed-out' });
    expect(await store.list(alice)).toHaveLength(2);
  });

  // better-sqlite3 is synchronous: Promise.all above runs the adds one after the other in this
  // process. Two processes on one file are the race SQLite has; a worker thread stands for the other.
  it.runIf(TEST_DATABASE === 'sqlite')('holds the limit against another process on the same file: its add, not yet committed, counts', async () => {
    const alice = await newAccount();
    for (let i = 0; i < MAX_PASSKEYS - 1; i++) await added(passkey(alice));
    const signal = new SharedArrayBuffer(8);
    const other = new Worker(new URL('./passkey-lock-holder.ts', import.meta.url), {
      workerData: { file: databaseFile(), userId: alice, credentialId: credentialId(), signal },
    });
    try {
      const messages: string[] = [];
      const committed = new Promise<void>((resolveCommitted, reject) => {
        other.on('message', (message: string) => {
          messages.push(message);
          if (message === 'committed') resolveCommitted();
        });
        other.on('error', reject);
      });
      await vi.waitFor(() => expect(messages).toContain('holding'));
      // The other process holds the tenth, uncommitted. This add must wait for it, then count it.
      Atomics.store(new Int32Array(signal), 0, 1);
      Atomics.notify(new Int32Array(signal), 0);
      const eleventh = await store.add(passkey(alice));
      await committed;
      expect(eleventh).toEqual({ refused: 'full' });
      expect(await store.list(alice)).toHaveLength(MAX_PASSKEYS);
    } finally {
      await other.terminate();
    }
  });

  it('registers a credential ID once across every account: the second is `taken`, even when both arrive together', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const mine = await added(passkey(alice));
    expect(await store.add(passkey(bob, { credentialId: mine.credentialId }))).toEqual({ refused: 'taken' });
    expect(await store.add(passkey(alice, { credentialId: mine.credentialId }))).toEqual({ refused: 'taken' });
    expect(await store.list(bob)).toEqual([]);
    expect(await store.find(bob, mine.credentialId)).toBeUndefined();

    const shared = credentialId();
    const results = await Promise.all([store.add(passkey(alice, { credentialId: shared })), store.add(passkey(bob, { credentialId: shared }))]);
    expect(results.filter((result) => 'added' in result)).toHaveLength(1);
    expect(results.filter((result) => 'refused' in result && result.refused === 'taken')).toHaveLength(1);
  });

  it('records a use only against the counter the check read: of two racing on one counter, one wins', async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const key = await added(passkey(alice, { counter: 5, backedUp: false }));
    const use = (seenCounter: number, newCounter: number, usedAt = T0 + 60_000) => ({ seenCounter, newCounter, backedUp: true, usedAt });

    expect(await store.recordUse(bob, key.credentialId, use(5, 6))).toBe(false); // another account's credential
    const racing = await Promise.all([store.recordUse(alice, key.credentialId, use(5, 6)), store.recordUse(alice, key.credentialId, use(5, 7))]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    const after = await store.find(alice, key.credentialId);
    expect(after).toMatchObject({ backedUp: true, lastUsedAt: T0 + 60_000 });
    expect(after!.counter).toBe(racing[0] ? 6 : 7);

    // Never backwards, never standing still above 0; up to the top of 32 bits.
    expect(await store.recordUse(alice, key.credentialId, use(after!.counter, 3))).toBe(false);
    expect(await store.recordUse(alice, key.credentialId, use(after!.counter, after!.counter))).toBe(false);
    expect(await store.recordUse(alice, key.credentialId, { ...use(after!.counter, 2 ** 32 - 1, T0 + 120_000), backedUp: false })).toBe(true);
    expect(await store.find(alice, key.credentialId)).toMatchObject({ counter: 2 ** 32 - 1, backedUp: false, lastUsedAt: T0 + 120_000 });

    // An authenticator that keeps no counter (synced passkeys) stays at 0, use after use.
    const synced = await added(passkey(alice));
    expect(await store.recordUse(alice, synced.credentialId, use(0, 0, T0 + 1))).toBe(true);
    expect(await store.recordUse(alice, synced.credentialId, use(0, 0, T0 + 2))).toBe(true);
    expect(await store.find(alice, synced.credentialId)).toMatchObject({ counter: 0, lastUsedAt: T0 + 2 });
  });

  it("goes with its account: deleting a user deletes its passkeys (on SQLite even with foreign keys off, as the sqlite3 shell runs)", async () => {
    const alice = await newAccount();
    const bob = await newAccount();
    const gone = await added(passkey(alice));
    const kept = await added(passkey(bob));
    if (TEST_DATABASE === 'sqlite') {
      // As the sqlite3 shell would (foreign keys are off there unless asked for): only the trigger
      // of migration 0006 removes them then.
      const db = new Database(databaseFile());
      try {
        db.pragma('foreign_keys = OFF');
        db.prepare('DELETE FROM users WHERE id = ?').run(alice);
      } finally {
        db.close();
      }
    } else {
      await sqlOn(dir, 'DELETE FROM users WHERE id = $1', [alice]);
    }
    expect(await sqlOn(dir, 'SELECT id FROM passkeys WHERE user_id = $1', [alice])).toEqual([]);
    expect(await store.find(alice, gone.credentialId)).toBeUndefined();
    expect(await store.list(bob)).toEqual([kept]);
  });

  it('refuses rows that break the rules, naming the rule', async () => {
    const alice = await newAccount();
    const insert = (fields: Record<string, unknown>) => {
      const row = { credential_id: credentialId(), public_key: Buffer.from(KEY), counter: 0, transports: '[]', device_type: 'singleDevice', backed_up: 0, name: 'Key', ...fields };
      return sqlOn(
        dir,
        'INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [alice, row.credential_id, row.public_key, row.counter, row.transports, row.device_type, row.backed_up, row.name, T0],
      );
    };
    await insert({}); // the rows below differ from this one in one column each
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [{ device_type: 'platform' }, /device_type_is_known/],
      [{ counter: -1 }, /counter_is_uint32/],
      [{ counter: 2 ** 32 }, /counter_is_uint32/],
      [{ name: '' }, /name_is_1_to_64_characters/],
      [{ name: '   ' }, /name_is_1_to_64_characters/],
      [{ name: 'x'.repeat(65) }, /name_is_1_to_64_characters/],
      [{ backed_up: 2 }, /backed_up_is_0_or_1/],
      [{ credential_id: '' }, /credential_id_is_base64url/],
      [{ credential_id: 'a+b/c=' }, /credential_id_is_base64url/],
      [{ credential_id: 'A'.repeat(1365) }, /credential_id_is_base64url/],
      [{ public_key: Buffer.alloc(0) }, /public_key_is_sane/],
      [{ transports: '{"usb":true}' }, /transports_is_a_json_array/],
    ];
    for (const [fields, rule] of refused) await expect(insert(fields), JSON.stringify(fields).slice(0, 80)).rejects.toThrow(rule);
    await insert({ name: 'x'.repeat(64), counter: 2 ** 32 - 1, credential_id: 'A'.repeat(1364) });
    expect(await store.list(alice)).toHaveLength(2);
  });
});
