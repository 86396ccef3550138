// Passkeys on PostgreSQL: the same steps as src/accounts/passkey-store.ts. Adding one runs in a
// transaction that first locks the account's users row, so two adds for one account take turns,
// and the count that follows (a new statement: READ COMMITTED reads afresh) sees what the other
// committed: of two adds at nine, the second counts ten and is refused. A credential ID registered
// already, to any account, is ON CONFLICT DO NOTHING (an insert racing it waits for it, then does
// nothing: no unique violation, no error log): `taken`. Recording a use is one UPDATE, row-locked:
// of two racing on one counter, the second finds the counter moved and matches nothing.
import type { PasskeyStore } from '../../accounts/passkey-store.ts';
import { MAX_PASSKEYS } from '../../accounts/passkey-store.ts';
import { PASSKEY_COLUMNS, passkeyOf, passkeyValues } from '../passkey-rows.ts';
import type { PasskeyRow } from '../passkey-rows.ts';
import { query } from './pool.ts';
import type { Pool } from './pool.ts';
import { inTransaction } from './transaction.ts';

const INT4_MAX = 2_147_483_647;

// NO KEY UPDATE, as the recovery codes lock it: enough to serialise the adds, and it does not
// block the foreign-key checks (KEY SHARE) of other tables' inserts for the same account.
// The epoch is read under that lock: a password change or "sign out everywhere" moving it waits, or
// has committed and is seen.
const LOCK_ACCOUNT = 'SELECT session_epoch AS "sessionEpoch", disabled FROM users WHERE id = $1 FOR NO KEY UPDATE';
const COUNT = 'SELECT count(*) AS count FROM passkeys WHERE user_id = $1';
const INSERT = `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (credential_id) DO NOTHING
  RETURNING ${PASSKEY_COLUMNS}`;

export function createPostgresPasskeyStore(pool: Pool): PasskeyStore {
  return {
    async list(userId) {
      const rows = await query<PasskeyRow>(pool, `SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY id`, [userId]);
      return rows.map(passkeyOf);
    },
    async has(userId) {
      // Asked after every right password: a prepared statement.
      return (await query(pool, 'SELECT 1 FROM passkeys WHERE user_id = $1 LIMIT 1', [userId], { name: 'passkeys-any' })).length > 0;
    },
    add(passkey, max = MAX_PASSKEYS, sessionEpoch) {
      const row = passkeyValues(passkey);
      return inTransaction(pool, async (run) => {
        const [account] = (await run(LOCK_ACCOUNT, [row.userId])) as Array<{ sessionEpoch: number; disabled: number }>;
        if (sessionEpoch !== undefined && (account?.disabled !== 0 || account.sessionEpoch !== sessionEpoch)) return { refused: 'signed-out' as const };
        const [{ count }] = (await run(COUNT, [row.userId])) as [{ count: number }];
        if (count >= max) return { refused: 'full' as const };
        const [added] = (await run(INSERT, [
          row.userId,
          row.credentialId,
          row.publicKey,
          row.counter,
          row.transports,
          row.deviceType,
          row.backedUp,
          row.name,
          row.createdAt,
        ])) as unknown as PasskeyRow[];
        return added ? { added: passkeyOf(added) } : { refused: 'taken' as const };
      });
    },
    async find(userId, credentialId) {
      const [row] = await query<PasskeyRow>(
        pool,
        `SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 AND credential_id = $2`,
        [userId, credentialId],
        { name: 'passkeys-find' },
      );
      return row && passkeyOf(row);
    },
    async recordUse(userId, credentialId, { seenCounter, newCounter, backedUp, usedAt }) {
      // The counter never moves back, and stays put only at 0 (an authenticator that keeps none):
      // the rule @simplewebauthn checks, held here too. $4 typed: it is compared before it is stored.
      const rows = await query(
        pool,
        `UPDATE passkeys SET counter = $4::bigint, backed_up = $5, last_used_at = $6
         WHERE user_id = $1 AND credential_id = $2 AND counter = $3::bigint
           AND ($4::bigint > $3::bigint OR ($4::bigint = 0 AND $3::bigint = 0))
         RETURNING 1 AS used`,
        [userId, credentialId, seenCounter, newCounter, backedUp ? 1 : 0, usedAt],
      );
      return rows.length === 1;
    },
    async remove(userId, id) {
      // An id the column cannot hold (a form's number out of range) names no passkey, and is no error.
      if (!Number.isInteger(id) || id < 1 || id > INT4_MAX) return false;
      const rows = await query(pool, 'DELETE FROM passkeys WHERE user_id = $1 AND id = $2 RETURNING 1 AS removed', [userId, id]);
      return rows.length === 1;
    },
  };
}
