import crypto from 'node:crypto';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import pLimit from 'p-limit';

/**
 * OWASP's minimum for argon2id (m=19 MiB, t=2, p=1): about 85 ms per hash on a small server,
 * against about 240 ms for the library defaults (64 MiB, t=3, p=4). Sign-in is on a user's
 * critical path and rate-limited anyway, so we take the minimum OWASP calls safe. Raising these
 * later is safe: verifyPassword reports needsRehash for older hashes.
 */
export const PASSWORD_HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

type HashCost = { memoryCost: number; timeCost: number; parallelism: number };
let hashOptions: HashCost & { type: typeof argon2.argon2id } = PASSWORD_HASH_OPTIONS;

/**
 * For the test suite only (test/cheap-password-hashing.ts): hash at another cost, or at
 * PASSWORD_HASH_OPTIONS again with no argument. The app never calls it. Measured on 2 cores: the
 * production cost is ~100 ms a hash and ~100 ms a check, and every test app start does both (the
 * dummy below) and every sign-in one check; m=256, t=1 takes about 1 ms.
 */
export function setPasswordHashCostForTests(cost?: HashCost): void {
  hashOptions = cost ? { ...cost, type: argon2.argon2id } : PASSWORD_HASH_OPTIONS;
  dummyHash = undefined;
}

/**
 * At most one hash per core but one at a time runs, so a burst of sign-ins never takes every core
 * from the event loop (measured on 2 cores: protected-page p99 3-5x idle with four hashes at once,
 * 1.2-1.4x with one; see README, Performance). The others wait their turn in this queue.
 */
const hashing = pLimit(Math.max(1, availableParallelism() - 1));

export type PasswordCheck = { ok: boolean; needsRehash: boolean };

// NFKC so the same password typed on two keyboards (composed or decomposed "é") matches,
// as NIST SP 800-63B suggests.
function normalize(password: string): string {
  return password.normalize('NFKC');
}

export function hashPassword(password: string): Promise<string> {
  return hashing(() => argon2.hash(normalize(password), hashOptions));
}

/** Never throws: a malformed stored hash is simply a failed check. */
export async function verifyPassword(storedHash: string, password: string): Promise<PasswordCheck> {
  try {
    if (!(await hashing(() => argon2.verify(storedHash, normalize(password))))) return { ok: false, needsRehash: false };
  } catch {
    return { ok: false, needsRehash: false };
  }
  return { ok: true, needsRehash: hashNeedsUpgrade(storedHash) };
}

function hashNeedsUpgrade(storedHash: string): boolean {
  if (!storedHash.startsWith('$argon2id$')) return true;
  try {
    return argon2.needsRehash(storedHash, hashOptions);
  } catch {
    return true;
  }
}

/**
 * The rule migrations/0005_password_hash_shape.sql holds on every hash written
 * (password_hash_is_argon2id_phc): a whole argon2id PHC string, version 19, m, t and p once each
 * in any order, unpadded base64 salt (8-64 bytes) and hash (16-64 bytes). A stored hash that
 * breaks it (a row from before that migration) can never verify: the sign-in logs so.
 */
const ARGON2ID_PHC =
  /^\$argon2id\$v=19\$(?=(?:[^$]*,)?m=)(?=(?:[^$]*,)?t=)(?=(?:[^$]*,)?p=)[mtp]=[1-9]\d{0,9},[mtp]=[1-9]\d{0,9},[mtp]=[1-9]\d{0,9}\$([A-Za-z0-9+/]{11,86})\$([A-Za-z0-9+/]{22,86})$/;

export function isArgon2idPhc(storedHash: string): boolean {
  const match = ARGON2ID_PHC.exec(storedHash);
  return match !== null && match[1].length % 4 !== 1 && match[2].length % 4 !== 1;
}

let dummyHash: Promise<string> | undefined;

/**
 * Costs what a wrong password costs, so an unknown email cannot be told apart by timing.
 * Same result shape as verifyPassword, so a caller can take either branch alike; the dummy's
 * password is random and forgotten, so the answer is always "not ok".
 * (The first call also computes the dummy; calling it once at start-up takes that off a request.)
 */
export async function verifyAgainstDummy(password: string): Promise<{ ok: false; needsRehash: false }> {
  dummyHash ??= hashPassword(crypto.randomBytes(32).toString('base64url'));
  await verifyPassword(await dummyHash, password);
  return { ok: false, needsRehash: false };
}
