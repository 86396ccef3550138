// A sign-in whose right password was stored with older argon2 parameters rehashes it. When the
// owner changes the password at that moment, the rehash (of the old password) must not land over
// the change: the new password signs in afterwards, the old one no longer does.
import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const NEW_PASSWORD = 'a brand new passphrase';
/** Weaker than PASSWORD_HASH_OPTIONS, so a right password at /login asks for a rehash. */
const OLD_PARAMETERS = { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 } as const;

const passwordHash = async (t: TestApp) => String((await t.sql('SELECT password_hash FROM users WHERE email = $1', [ALICE.email]))[0].password_hash);

describe('a rehash at sign-in racing a password change', () => {
  const start = useTestApps();

  it('never writes the old password back over the change that committed first', async () => {
    const t = await start({ api: 'v2' });
    const owner = t.client();
    expect((await owner.signIn(t.sim)).headers.location).toBe('/');
    expect((await owner.get('/account/password')).statusCode).toBe(200);

    let changesThatWon = 0;
    let current = ALICE.password;
    for (let round = 0; round < 4; round++) {
      const next = current === ALICE.password ? NEW_PASSWORD : ALICE.password;
      const oldHash = await argon2.hash(current, OLD_PARAMETERS);
      await t.sql('UPDATE users SET password_hash = $1 WHERE email = $2', [oldHash, ALICE.email]);
      await t.sql('DELETE FROM rate_limits');
      expect((await owner.get('/account/password')).statusCode).toBe(200); // a fresh CSRF token

      // The change goes first: it reads the hash and starts hashing the new password, while the
      // sign-in reads the same old hash, checks the old password against it and rehashes it.
      const changing = owner.post('/account/password', { current_password: current, new_password: next });
      const signingIn = t.client().post('/login', { email: ALICE.email, password: current });
      const [changed, signedIn] = await Promise.all([changing, signingIn]);
      expect(signedIn.statusCode, `round ${round}: the old password was right when it was checked`).not.toBe(401);

      const stored = await passwordHash(t);
      expect(stored).not.toBe(oldHash);
      if (changed.statusCode === 303) {
        // The change committed: whenever the rehash came, the stored password is the chosen one.
        changesThatWon += 1;
        expect(await argon2.verify(stored, next), `round ${round}: the chosen password is the stored one`).toBe(true);
        expect(await argon2.verify(stored, current), `round ${round}: the old password is gone`).toBe(false);
        current = next;
      } else {
        // The rehash committed first: the change was refused as "changed meanwhile", nothing lost.
        expect(changed.statusCode).toBe(401);
        expect(await argon2.verify(stored, current)).toBe(true);
      }
    }
    // The race this test is about: the change committed while the sign-in's rehash was under way.
    expect(changesThatWon).toBeGreaterThan(0);
  });
});
