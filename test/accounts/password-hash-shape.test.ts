// Migration 0004 on the engine under test (SQLite by default; PostgreSQL in the backend runs): a
// password hash that cannot be a real argon2id hash is refused on INSERT and UPDATE, naming the
// rule password_hash_is_argon2id_phc, and the app's own check (isArgon2idPhc) agrees with the
// database on every case. A row stored before the rule logs a warning when its account signs in.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hashPassword, isArgon2idPhc, setPasswordHashCostForTests } from '../../src/accounts/passwords.ts';
import { TEST_HASH_COST } from '../cheap-password-hashing.ts';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import { TEST_DATABASE } from '../helpers/test-backend.ts';

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA'; // 16 bytes
const TAG = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'; // 32 bytes
const REFUSED = [
  '$argon2id$v=19$m=19456,p=1,t=2$3P6c…$Qm2…', // the README's old example, pasted as it was
  '$argon2id$…',
  '$argon2id$x',
  '',
  `$argon2i$v=19$m=19456,t=2,p=1$${SALT}$${TAG}`,
  `$argon2d$v=19$m=19456,t=2,p=1$${SALT}$${TAG}`,
  `$argon2id$v=16$m=19456,t=2,p=1$${SALT}$${TAG}`,
  `$argon2id$m=19456,t=2,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,t=2$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,m=2,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,t=2,p=1,x=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,t=2x,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,t=2m,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=0,t=2,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=,t=2,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$${TAG}`, // salt of 4 bytes
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$aGFzaA`, // hash of 4 bytes
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}=`, // padded
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}aa`, // grown (or cut) to a length base64 never has
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG.slice(0, 30)}…`,
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}$more`,
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG} `,
  ` $argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}`,
  `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${TAG}\n`,
];

describe('the password hash rule (0005_password_hash_shape)', () => {
  const startApp = useTestApps();

  it('accepts whole argon2id hashes, parameters in either order, and refuses anything that cannot be one, naming the rule', async () => {
    const t = await startApp({ api: 'v2' });
    // A hash as the app makes it: at the production cost, not the tests' (test/cheap-password-hashing.ts).
    setPasswordHashCostForTests();
    const real = await hashPassword('a password for the rule').finally(() => setPasswordHashCostForTests(TEST_HASH_COST));
    const accepted = [real, real.replace(/m=(\d+),p=(\d+),t=(\d+)/, 'm=$1,t=$3,p=$2'), `$argon2id$v=19$m=65536,t=3,p=4$${SALT}$${TAG}`];
    expect(real).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/); // node-argon2's order
    for (const [i, hash] of accepted.entries()) {
      expect(isArgon2idPhc(hash), hash).toBe(true);
      await t.sql('INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', [`ok${i}@example.com`, '+15555550190', hash]);
    }
    const [{ id }] = await t.sql('SELECT id FROM users WHERE email = $1', [ALICE.email]);
    for (const hash of REFUSED) {
      expect(isArgon2idPhc(hash), JSON.stringify(hash)).toBe(false);
      await expect(
        t.sql('INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', ['refused@example.com', '+15555550191', hash]),
        JSON.stringify(hash),
      ).rejects.toThrow(/password_hash_is_argon2id_phc/);
      await expect(t.sql('UPDATE users SET password_hash = $1 WHERE id = $2', [hash, id]), JSON.stringify(hash)).rejects.toThrow(
        /password_hash_is_argon2id_phc/,
      );
    }
    expect(await t.sql('SELECT 1 FROM users WHERE email = $1', ['refused@example.com'])).toEqual([]);
  });

  it('a hash stored before the rule can never sign in: the sign-in says so in the log, naming the account, never the hash', async () => {
    const t = await startApp({ api: 'v2' });
    // Stands for a row written before migration 0004: the rule's trigger is not there for it.
    const bad = '$argon2id$v=19$m=19456,p=1,t=2$3P6c…$Qm2…';
    const trigger = TEST_DATABASE === 'postgres' ? 'users_password_hash_is_argon2id_phc ON users' : 'users_password_hash_is_argon2id_phc_on_update';
    await t.sql(`DROP TRIGGER ${trigger}`);
    await t.sql('UPDATE users SET password_hash = $1 WHERE email = $2', [bad, ALICE.email]);
    const login = await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
    expect(login.statusCode).toBe(401);
    const warning = t.logs.find((line) => line.includes('not a whole argon2id hash'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning as string)).toMatchObject({ level: 40, userId: expect.any(Number) });
    expect(t.logs.join('\n')).not.toContain('3P6c');
  });

  it("the README's seed example cannot be pasted by mistake: its hash is whole, its placeholder refused", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const printed = readme.match(/^ {3}(\$argon2id\$\S+)$/m)?.[1] ?? '';
    expect(isArgon2idPhc(printed)).toBe(true);
    const placeholder = readme.match(/VALUES \('alice@example\.com', '\+15555550100', '([^']*)'\);/)?.[1] ?? '';
    expect(placeholder).toBe('<the whole hash from step 1>');
    const t = await startApp({ api: 'v2' });
    await expect(
      t.sql('INSERT INTO users (email, phone, password_hash) VALUES ($1, $2, $3)', ['pasted@example.com', '+15555550192', placeholder]),
    ).rejects.toThrow(/password_hash_is_argon2id_phc/);
  });
});
