import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAccountStore } from '../../src/storage/sqlite/account-store.ts';
import type { AccountStore } from '../../src/accounts/account-store.ts';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../src/storage/migrations.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const REPO_MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations');
const ALICE_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YWxpY2VzYWx0$YWxpY2VoYXNoAAAAAAAAAA';

describe('account store', () => {
  const tempDir = useTempDir();
  let db: Database;
  let accounts: AccountStore;
  let aliceId: number;

  beforeEach(() => {
    db = openDatabase(path.join(tempDir(), 'app.db'));
    applyMigrations(db, [REPO_MIGRATIONS]);
    db.exec(`INSERT INTO users (email, phone, password_hash) VALUES ('alice@example.com', '+15555550100', '${ALICE_HASH}');`);
    db.exec(`INSERT INTO users (email, phone, password_hash, disabled) VALUES ('bob@example.com', '+15555550101', '${ALICE_HASH}', 1);`);
    aliceId = db.prepare("SELECT id FROM users WHERE email = 'alice@example.com'").pluck().get() as number;
    accounts = createAccountStore(db);
    return () => db.close();
  });

  const epochOf = (id: number) => db.prepare('SELECT session_epoch FROM users WHERE id = ?').pluck().get(id) as number;
  const alice = () => ({
    id: aliceId,
    email: 'alice@example.com',
    phone: '+15555550100',
    passwordHash: ALICE_HASH,
    sessionEpoch: expect.any(Number),
    mustChangePassword: true, // seeded with the column's default
  });

  it('finds an account by email whatever its case and surrounding spaces', async () => {
    expect(await accounts.findByEmail('alice@example.com')).toEqual(alice());
    expect(await accounts.findByEmail('  ALICE@Example.COM \t')).toEqual(alice());
  });

  it('finds nothing for an unknown email, and never matches by pattern', async () => {
    expect(await accounts.findByEmail('carol@example.com')).toBeUndefined();
    expect(await accounts.findByEmail('%@example.com')).toBeUndefined();
    expect(await accounts.findByEmail('')).toBeUndefined();
  });

  it('gives each new account a random session epoch and moves it when the account is disabled', async () => {
    const first = (await accounts.findById(aliceId))!.sessionEpoch;
    db.exec("INSERT INTO users (email, phone, password_hash) VALUES ('carol@example.com', '+15555550102', '" + ALICE_HASH + "')");
    expect((await accounts.findByEmail('carol@example.com'))!.sessionEpoch).not.toBe(first);
    db.exec("UPDATE users SET disabled = 1 WHERE email = 'alice@example.com'");
    db.exec("UPDATE users SET disabled = 0 WHERE email = 'alice@example.com'");
    expect((await accounts.findById(aliceId))!.sessionEpoch).not.toBe(first);
  });

  it('finds an account by id', async () => {
    expect(await accounts.findById(aliceId)).toEqual(alice());
    expect(await accounts.findById(aliceId + 100)).toBeUndefined();
  });

  it('does not find disabled accounts, by email or by id', async () => {
    const bobId = db.prepare("SELECT id FROM users WHERE email = 'bob@example.com'").pluck().get() as number;
    expect(await accounts.findByEmail('bob@example.com')).toBeUndefined();
    expect(await accounts.findById(bobId)).toBeUndefined();

    db.prepare('UPDATE users SET disabled = 1 WHERE id = ?').run(aliceId);
    expect(await accounts.findByEmail('alice@example.com')).toBeUndefined();
  });

  it('replaces the password hash and touches updated_at', async () => {
    db.prepare("UPDATE users SET updated_at = '2000-01-01 00:00:00' WHERE id = ?").run(aliceId);
    const newHash = '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdAA$bmV3aGFzaAAAAAAAAAAAAA';
    expect(await accounts.updatePasswordHash(aliceId, newHash, ALICE_HASH)).toBe(true);
    expect((await accounts.findById(aliceId))?.passwordHash).toBe(newHash);
    expect(db.prepare('SELECT updated_at FROM users WHERE id = ?').pluck().get(aliceId)).not.toBe('2000-01-01 00:00:00');
  });

  it('changes the password in one statement: hash, must_change_password 0, a new session epoch, updated_at', async () => {
    db.prepare("UPDATE users SET updated_at = '2000-01-01 00:00:00' WHERE id = ?").run(aliceId);
    const before = (await accounts.findById(aliceId))!;
    const newHash = '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdAA$bmV3aGFzaAAAAAAAAAAAAA';
    const epoch = await accounts.changePassword(aliceId, newHash, ALICE_HASH);
    expect(epoch).toEqual(expect.any(Number));
    expect(epoch).not.toBe(before.sessionEpoch);
    expect(await accounts.findById(aliceId)).toEqual({ ...alice(), passwordHash: newHash, sessionEpoch: epoch, mustChangePassword: false });
    expect(db.prepare('SELECT updated_at FROM users WHERE id = ?').pluck().get(aliceId)).not.toBe('2000-01-01 00:00:00');
  });

  it('changes nothing when the hash is no longer the one the current password was checked against, or the account is disabled', async () => {
    // Two changes racing: both checked the old password, only the first statement finds it.
    const [first, second] = await Promise.all([
      accounts.changePassword(aliceId, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdAAAAAA$Zmlyc3QAAAAAAAAAAAAAAA', ALICE_HASH),
      accounts.changePassword(aliceId, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdAAAAAA$c2Vjb25kAAAAAAAAAAAAAA', ALICE_HASH),
    ]);
    expect(first).toEqual(expect.any(Number));
    expect(second).toBeUndefined();
    expect((await accounts.findById(aliceId))!.passwordHash).toBe('$argon2id$v=19$m=19456,t=2,p=1$c2FsdAAAAAA$Zmlyc3QAAAAAAAAAAAAAAA');
    const bobId = db.prepare("SELECT id FROM users WHERE email = 'bob@example.com'").pluck().get() as number;
    expect(await accounts.changePassword(bobId, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdAAAAAA$Ym9iAAAAAAAAAAAAAAAAAA', ALICE_HASH)).toBeUndefined();
    expect(db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(bobId)).toBe(ALICE_HASH);
  });

  it('changes the phone in one statement: the phone, a new session epoch, updated_at, and the remembered browsers forgotten', async () => {
    db.prepare("UPDATE users SET updated_at = '2000-01-01 00:00:00' WHERE id = ?").run(aliceId);
    db.prepare('INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES (?, ?, 0, ?)').run('t1', aliceId, Date.now() + 60_000);
    const before = (await accounts.findById(aliceId))!;
    const epoch = await accounts.changePhone(aliceId, '+353851234567', { phone: '+15555550100', sessionEpoch: epochOf(aliceId) });
    expect(epoch).toEqual(expect.any(Number));
    expect(epoch).not.toBe(before.sessionEpoch);
    expect(await accounts.findById(aliceId)).toEqual({ ...alice(), phone: '+353851234567', sessionEpoch: epoch });
    expect(db.prepare('SELECT updated_at FROM users WHERE id = ?').pluck().get(aliceId)).not.toBe('2000-01-01 00:00:00');
    expect(db.prepare('SELECT count(*) FROM remembered_browsers').pluck().get()).toBe(0);
  });

  it('changes the phone once of two changes racing from the same phone, and never a disabled account’s', async () => {
    const [first, second] = await Promise.all([
      accounts.changePhone(aliceId, '+353851234567', { phone: '+15555550100', sessionEpoch: epochOf(aliceId) }),
      accounts.changePhone(aliceId, '+447911123456', { phone: '+15555550100', sessionEpoch: epochOf(aliceId) }),
    ]);
    expect(first).toEqual(expect.any(Number));
    expect(second).toBeUndefined();
    expect(await accounts.findById(aliceId)).toMatchObject({ phone: '+353851234567', sessionEpoch: first });
    const bobId = db.prepare("SELECT id FROM users WHERE email = 'bob@example.com'").pluck().get() as number;
    expect(await accounts.changePhone(bobId, '+447911123456', { phone: '+15555550101', sessionEpoch: epochOf(bobId) })).toBeUndefined();
    expect(db.prepare('SELECT phone FROM users WHERE id = ?').pluck().get(bobId)).toBe('+15555550101');
  });

  it('never changes the phone after the session epoch moved (a password change, "sign out everywhere"): the session asking is over', async () => {
    const epoch = epochOf(aliceId);
    expect(await accounts.moveSessionEpoch(aliceId)).not.toBe(epoch);
    expect(await accounts.changePhone(aliceId, '+353851234567', { phone: '+15555550100', sessionEpoch: epoch })).toBeUndefined();
    expect((await accounts.findById(aliceId))!.phone).toBe('+15555550100');
    expect(await accounts.changePhone(aliceId, '+353851234567', { phone: '+15555550100', sessionEpoch: epochOf(aliceId) })).toEqual(expect.any(Number));
  });

  it('reads must_change_password as a boolean: 0 inserted on purpose is false', async () => {
    db.exec(`INSERT INTO users (email, phone, password_hash, must_change_password) VALUES ('dan@example.com', '+15555550103', '${ALICE_HASH}', 0);`);
    expect((await accounts.findByEmail('dan@example.com'))!.mustChangePassword).toBe(false);
    expect((await accounts.findById(aliceId))!.mustChangePassword).toBe(true);
  });

  it('finds nothing for an email or id of the wrong type, rather than throwing', async () => {
    // What a route could pass on from a malformed form or an old session record.
    expect(await accounts.findByEmail(['alice@example.com'] as unknown as string)).toBeUndefined();
    expect(await accounts.findByEmail(undefined as unknown as string)).toBeUndefined();
    for (const id of [String(aliceId), aliceId + 0.5, Number.NaN, 2 ** 53, undefined]) {
      expect(await accounts.findById(id as number)).toBeUndefined();
    }
  });

  it('changes only the given account’s password hash', async () => {
    const bobHash = () => db.prepare("SELECT password_hash FROM users WHERE email = 'bob@example.com'").pluck().get();
    await accounts.updatePasswordHash(aliceId, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdAAAAAA$aGFzaAAAAAAAAAAAAAAAAA', ALICE_HASH);
    expect(bobHash()).toBe(ALICE_HASH);
  });

  it('a rehash never undoes a password change: it writes only over the hash it verified', async () => {
    const rehashed = '$argon2id$v=19$m=19456,t=2,p=1$cmVoYXNoZWQ$cmVoYXNoZWQAAAAAAAAAAA';
    const changed = '$argon2id$v=19$m=19456,t=2,p=1$Y2hhbmdlZAA$Y2hhbmdlZAAAAAAAAAAAAA';
    db.prepare('INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES (?, ?, 0, ?)').run('t1', aliceId, Date.now() + 60_000);
    // The owner's change commits between the sign-in's check of the old password and its rehash.
    expect(await accounts.changePassword(aliceId, changed, ALICE_HASH)).toEqual(expect.any(Number));
    expect(await accounts.updatePasswordHash(aliceId, rehashed, ALICE_HASH)).toBe(false);
    expect((await accounts.findById(aliceId))!.passwordHash).toBe(changed);
    // The change forgot the remembered browser; the refused rehash did not bring it back.
    expect(db.prepare('SELECT count(*) FROM remembered_browsers').pluck().get()).toBe(0);
  });

  it('reports a database failure as a rejected promise, never a synchronous throw', async () => {
    // Callers rely on `await`/`.catch()` seeing every failure, as they will with the PostgreSQL store.
    db.close();
    let lookups: Array<Promise<unknown>> = [];
    expect(() => {
      lookups = [
        accounts.findByEmail('alice@example.com'),
        accounts.findById(aliceId),
        accounts.updatePasswordHash(aliceId, ALICE_HASH, ALICE_HASH),
        accounts.changePassword(aliceId, ALICE_HASH, ALICE_HASH),
        accounts.changePhone(aliceId, '+353851234567', { phone: '+15555550100', sessionEpoch: 1 }),
      ];
    }).not.toThrow();
    for (const lookup of lookups) await expect(lookup).rejects.toThrow(/database connection is not open/);
  });
});
