import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  hashPassword,
  PASSWORD_HASH_OPTIONS,
  setPasswordHashCostForTests,
  verifyAgainstDummy,
  verifyPassword,
} from '../../src/accounts/passwords.ts';
import { TEST_HASH_COST } from '../cheap-password-hashing.ts';

// The other test files hash at a cheap cost (test/cheap-password-hashing.ts); this one tests the
// production parameters themselves.
beforeAll(() => setPasswordHashCostForTests());
afterAll(() => setPasswordHashCostForTests(TEST_HASH_COST));

describe('password hashing', () => {
  it('hashes with argon2id at m=19456 KiB, t=2, p=1 (OWASP’s minimum)', async () => {
    expect(PASSWORD_HASH_OPTIONS).toMatchObject({ type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const hash = await hashPassword('correct horse battery');
    const [, type, version, params] = hash.split('$');
    expect([type, version]).toEqual(['argon2id', 'v=19']);
    expect(Object.fromEntries(params.split(',').map((pair) => pair.split('=')))).toEqual({ m: '19456', t: '2', p: '1' });
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword(hash, 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
    expect(await verifyPassword(hash, 'correct horse batterY')).toEqual({ ok: false, needsRehash: false });
    expect(await verifyPassword(hash, '')).toEqual({ ok: false, needsRehash: false });
  });

  it('matches a password typed with composed or decomposed accents', async () => {
    const hash = await hashPassword('caf\u00e9-au-lait'); // é as one code point
    expect((await verifyPassword(hash, 'cafe\u0301-au-lait')).ok).toBe(true); // e + combining accent
  });

  it('asks for a rehash of a right password hashed with weaker or other parameters', async () => {
    const weaker = await argon2.hash('correct horse battery', { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(await verifyPassword(weaker, 'correct horse battery')).toEqual({ ok: true, needsRehash: true });

    const argon2i = await argon2.hash('correct horse battery', { ...PASSWORD_HASH_OPTIONS, type: argon2.argon2i });
    expect(await verifyPassword(argon2i, 'correct horse battery')).toEqual({ ok: true, needsRehash: true });

    // A wrong password never triggers a rehash, whatever the stored parameters.
    expect(await verifyPassword(weaker, 'wrong')).toEqual({ ok: false, needsRehash: false });
  });

  it('treats a malformed stored hash as a failed check instead of throwing', async () => {
    for (const stored of ['', 'plain text', '$argon2id$', '$argon2id$v=19$m=19456,t=2,p=1$bad', '$2b$10$bcrypthashbcrypthash']) {
      await expect(verifyPassword(stored, 'anything'), stored).resolves.toEqual({ ok: false, needsRehash: false });
    }
  });

  it('verifies unknown emails against a dummy hash: never ok, and the same argon2 work as a real check', async () => {
    await verifyAgainstDummy('warm-up'); // the first call also computes the dummy hash
    // Not timed (a loaded machine makes any timing flaky): the dummy check must be one argon2id
    // verify against a hash of today's parameters, exactly what a wrong password costs.
    const verify = vi.spyOn(argon2, 'verify');
    try {
      expect(await verifyAgainstDummy('wrong guess')).toEqual({ ok: false, needsRehash: false });
      expect(verify).toHaveBeenCalledTimes(1);
      const [dummy] = verify.mock.calls[0];
      expect(dummy).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(argon2.needsRehash(dummy, PASSWORD_HASH_OPTIONS)).toBe(false);
    } finally {
      verify.mockRestore();
    }
    expect((await verifyAgainstDummy('')).ok).toBe(false);
  });
});
