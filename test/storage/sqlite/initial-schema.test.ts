import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/storage/sqlite/connection.ts';
import type { Database } from '../../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../../src/storage/migrations.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

const REPO_MIGRATIONS = path.resolve(import.meta.dirname, '../../../migrations');
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA';

describe('migrations/0001_init.sql', () => {
  const tempDir = useTempDir();
  let db: Database;
  beforeEach(() => {
    db = openDatabase(path.join(tempDir(), 'app.db'));
    applyMigrations(db, [REPO_MIGRATIONS]);
    return () => db.close();
  });
  const insertUser = (email: string, phone: string, passwordHash = HASH) =>
    db.prepare('INSERT INTO users (email, phone, password_hash) VALUES (?, ?, ?)').run(email, phone, passwordHash);

  it('takes the contract’s seed insert exactly as an admin writes it, filling every other column', () => {
    db.exec(`INSERT INTO users (email, phone, password_hash) VALUES ('alice@example.com', '+15555550100', '${HASH}');`);
    const alice = db.prepare('SELECT * FROM users').get() as Record<string, unknown>;
    expect(alice).toMatchObject({ id: 1, email: 'alice@example.com', phone: '+15555550100', password_hash: HASH, disabled: 0 });
    expect(alice.created_at).toEqual(expect.any(String));
    expect(alice.updated_at).toEqual(expect.any(String));
  });

  it('refuses a second account whose email differs only in case', () => {
    insertUser('alice@example.com', '+15555550100');
    expect(() => insertUser('ALICE@Example.com', '+15555550101')).toThrow(/UNIQUE constraint failed: users\.email/);
  });

  it('accepts E.164 phones from 8 to 15 digits and refuses anything else, naming the rule', () => {
    insertUser('short@example.com', '+12345678');
    insertUser('long@example.com', '+123456789012345');
    const refused = ['15555550100', '+1234567', '+1234567890123456', '+1555 555 0100', '+1555555010a', '+05555550100', '', '+'];
    for (const [i, phone] of refused.entries()) {
      expect(() => insertUser(`user${i}@example.com`, phone), phone).toThrow(/CHECK constraint failed: phone_is_e164/);
    }
  });

  it('refuses emails that cannot be addresses', () => {
    for (const [i, email] of ['', 'alice', '@example.com', 'alice@', 'a@b@c', 'alice @example.com', ' alice@example.com'].entries()) {
      expect(() => insertUser(email, `+1555555010${i}`), email).toThrow(/CHECK constraint failed: email_looks_like_an_address/);
    }
  });

  it('refuses a password_hash that is not an argon2 hash (a plain password pasted by mistake)', () => {
    expect(() => insertUser('alice@example.com', '+15555550100', 'correct horse')).toThrow(/password_hash_is_argon2/);
  });

  it('keeps sessions by id with an expiry index, and audit events with nullable user, ip and detail', () => {
    db.prepare('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)').run('abc', '{}', Date.now());
    expect(() => db.prepare('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)').run('abc', '{}', 1)).toThrow(/UNIQUE|PRIMARY/);
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'sessions'").pluck().all()).toContain('sessions_by_expiry');

    db.prepare('INSERT INTO audit_log (event) VALUES (?)').run('password-failed');
    const event = db.prepare('SELECT * FROM audit_log').get() as Record<string, unknown>;
    expect(event).toMatchObject({ event: 'password-failed', user_id: null, ip: null, detail: null });
    expect(event.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(() => db.prepare('INSERT INTO audit_log (event, user_id) VALUES (?, ?)').run('x', 999)).toThrow(/FOREIGN KEY/);
  });
});
