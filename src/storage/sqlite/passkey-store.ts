// Passkeys on SQLite (table passkeys, migration 0006). Adding one is an IMMEDIATE transaction that
// reads the account's session epoch, counts the account's passkeys and inserts: the write lock is taken before the count, so of two
// adds at nine (in this process or another on the same file) the second counts ten and is refused.
// A credential ID registered already is ON CONFLICT DO NOTHING (no error, no log): `taken`.
// Recording a use is one UPDATE that only the counter the check read matches.
import type { PasskeyStore } from '../../accounts/passkey-store.ts';
import { MAX_PASSKEYS } from '../../accounts/passkey-store.ts';
import { PASSKEY_COLUMNS, passkeyOf, passkeyValues } from '../passkey-rows.ts';
import type { PasskeyRow } from '../passkey-rows.ts';
import type { Database } from './connection.ts';

type NewRow = ReturnType<typeof passkeyValues>;

export function createSqlitePasskeyStore(db: Database): PasskeyStore {
  const list = db.prepare<[number], PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = ? ORDER BY id`);
  const any = db.prepare<[number], 1>('SELECT 1 FROM passkeys WHERE user_id = ? LIMIT 1').pluck();
  const count = db.prepare<[number], number>('SELECT count(*) FROM passkeys WHERE user_id = ?').pluck();
  const epochOf = db.prepare<[number], number>('SELECT session_epoch FROM users WHERE id = ? AND disabled = 0').pluck();
  const insert = db.prepare<[NewRow], PasskeyRow>(
    `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
     VALUES (@userId, @credentialId, @publicKey, @counter, @transports, @deviceType, @backedUp, @name, @createdAt)
     ON CONFLICT (credential_id) DO NOTHING
     RETURNING ${PASSKEY_COLUMNS}`,
  );
  const find = db.prepare<[number, string], PasskeyRow>(`SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = ? AND credential_id = ?`);
  // The counter never moves back, and stays put only at 0 (an authenticator that keeps none): the
  // rule @simplewebauthn checks, held here too.
  const recordUse = db.prepare<{ userId: number; credentialId: string; seen: number; next: number; backedUp: number; usedAt: number }>(
    `UPDATE passkeys SET counter = @next, backed_up = @backedUp, last_used_at = @usedAt
     WHERE user_id = @userId AND credential_id = @credentialId AND counter = @seen
       AND (@next > @seen OR (@next = 0 AND @seen = 0))`,
  );
  const remove = db.prepare<[number, number]>('DELETE FROM passkeys WHERE user_id = ? AND id = ?');

  const add = db.transaction((row: NewRow, max: number, sessionEpoch: number | undefined) => {
    if (sessionEpoch !== undefined && epochOf.get(row.userId) !== sessionEpoch) return { refused: 'signed-out' as const };
    if ((count.get(row.userId) ?? 0) >= max) return { refused: 'full' as const };
    const added = insert.get(row);
    return added ? { added: passkeyOf(added) } : { refused: 'taken' as const };
  });

  return {
    async list(userId) {
      return list.all(userId).map(passkeyOf);
    },
    async has(userId) {
      return any.get(userId) !== undefined;
    },
    async add(passkey, max = MAX_PASSKEYS, sessionEpoch) {
      return add.immediate(passkeyValues(passkey), max, sessionEpoch);
    },
    async find(userId, credentialId) {
      const row = find.get(userId, credentialId);
      return row && passkeyOf(row);
    },
    async recordUse(userId, credentialId, { seenCounter, newCounter, backedUp, usedAt }) {
      const next = { userId, credentialId, seen: seenCounter, next: newCounter, backedUp: backedUp ? 1 : 0, usedAt };
      return recordUse.run(next).changes === 1;
    },
    async remove(userId, id) {
      return remove.run(userId, id).changes === 1;
    },
  };
}
