// Migration 0003 on the engine under test (SQLite by default; PostgreSQL in the backend runs):
// seeded passwords are temporary by default, remembered browsers go with a credential change.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoAAAAAA';

describe('the account schema (0003_account_recovery)', () => {
  const startApp = useTestApps();

  it('makes an admin-inserted account change its password unless 0 is given on purpose', async () => {
    const t = await startApp({ api: 'v2' });
    await t.sql('INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', ['seeded@example.com', '+15555550181', HASH]);
    await t.sql('INSERT INTO users (email, phone, password_hash, must_change_password) VALUES ($1, $2, $3, 0)', ['chosen@example.com', '+15555550182', HASH]);
    const rows = await t.sql("SELECT email, must_change_password AS m FROM users WHERE email IN ('seeded@example.com', 'chosen@example.com') ORDER BY email");
    expect(rows.map((row) => [row.email, Number(row.m)])).toEqual([
      ['chosen@example.com', 0],
      ['seeded@example.com', 1],
    ]);
    await expect(t.sql('UPDATE users SET must_change_password = 2 WHERE email = $1', [ALICE.email])).rejects.toThrow(/must_change_password_is_0_or_1/);
  });

  it("forgets an account's remembered browsers when its phone or password changes, and only then", async () => {
    const t = await startApp({ api: 'v2' });
    const [{ id }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    const remember = (hash: string) =>
      t.sql('INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, 0, 9999999999999)', [hash, id]);
    const count = async () => Number((await t.sql('SELECT count(*) AS n FROM remembered_browsers WHERE user_id = $1', [id]))[0].n);
    await remember('a');
    await t.sql('UPDATE users SET disabled = 0, updated_at = updated_at WHERE id = $1', [id]);
    await t.sql('UPDATE users SET phone = phone WHERE id = $1', [id]);
    expect(await count()).toBe(1);
    await t.sql('UPDATE users SET phone = $1 WHERE id = $2', ['+15555550177', id]);
    expect(await count()).toBe(0);
    await remember('b');
    await t.sql('UPDATE users SET password_hash = $1 WHERE id = $2', [HASH.replace('aGFz', 'bGFz'), id]);
    expect(await count()).toBe(0);
    await remember('c');
    await t.sql('DELETE FROM users WHERE id = $1', [id]);
    expect(Number((await t.sql('SELECT count(*) AS n FROM remembered_browsers'))[0].n)).toBe(0);
  });
});
