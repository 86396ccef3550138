// Recovery codes: ten single-use ways in for when the phone is gone. A code is 16 random digits
// (about 53 bits), shown grouped as "1234 5678 9012 3456": digits, so that the code page's number
// pad still fits, and longer than any Verify code (4–10 digits), so the code step tells the two
// apart by length alone.
//
// Only a keyed hash of each code is stored: HMAC-SHA-256 under a key derived from SESSION_SECRET,
// bound to the account. A plain SHA-256 would be one pass over 2^53 candidates (days on a GPU,
// for every account at once) for whoever copies the database; with the key, a copy of the
// database alone gives nothing. Codes are made under the first secret and accepted under any
// listed one, like signed cookies: a secret rotated out of SESSION_SECRET takes the codes made
// under it along, so their owners need new ones (their password and a code from the phone).
import { createHmac, randomInt } from 'node:crypto';
import type { RecoveryCodeStore } from './recovery-code-store.ts';

export const RECOVERY_CODE_COUNT = 10;
const DIGITS = 16;
const SHAPE = /^\d{16}$/;

/** '1234-5678 9012 3456' → '1234567890123456'; undefined when it is not a recovery code's shape. */
export function normalizeRecoveryCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '');
  return SHAPE.test(code) ? code : undefined;
}

/** '1234567890123456' → '1234 5678 9012 3456', as the codes are shown. */
export function groupRecoveryCode(code: string): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function newCode(): string {
  let code = '';
  for (let i = 0; i < DIGITS; i++) code += String(randomInt(10));
  return code;
}

/** A code just spent by a sign-in that has yet to complete. */
export interface SpentRecoveryCode {
  /** How many unused codes the account has left. */
  left: number;
  /**
   * The sign-in did not complete (a parallel logout or cancel ended it, the account was disabled
   * or signed out everywhere): the code is unused again, as no one got in with it.
   */
  giveBack(): Promise<void>;
}

export interface RecoveryCodes {
  /**
   * After a full sign-in: ten new codes when the account has never had any (their plain form,
   * to be shown once), undefined when it has. One step: two sign-ins at once issue one set.
   */
  issueFirst(userId: number): Promise<string[] | undefined>;
  /** All the account's codes replaced by ten new ones (one transaction); their plain form. */
  replace(userId: number): Promise<string[]>;
  /**
   * Spends one of the account's unused codes (one atomic step: of two requests with the same code,
   * one gets it), to be given back unless the sign-in completes; undefined when it is none of them.
   */
  use(userId: number, code: string): Promise<SpentRecoveryCode | undefined>;
  unusedCount(userId: number): Promise<number>;
}

export function createRecoveryCodes(store: RecoveryCodeStore, secrets: string[]): RecoveryCodes {
  const keys = secrets.map((secret) => createHmac('sha256', secret).update('recovery-codes/v1').digest());
  const hashWith = (key: Buffer, userId: number, code: string) => createHmac('sha256', key).update(`${userId}:${code}`).digest('base64url');
  const fresh = (userId: number) => {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
    return { codes, hashes: codes.map((code) => hashWith(keys[0], userId, code)) };
  };

  return {
    async issueFirst(userId) {
      const { codes, hashes } = fresh(userId);
      return (await store.insertIfNone(userId, hashes, Date.now())) ? codes : undefined;
    },
    async replace(userId) {
      const { codes, hashes } = fresh(userId);
      await store.replaceAll(userId, hashes, Date.now());
      return codes;
    },
    async use(userId, code) {
      for (const key of keys) {
        const hash = hashWith(key, userId, code);
        const usedAt = Date.now();
        if (await store.markUsed(userId, hash, usedAt)) {
          return { left: await store.unusedCount(userId), giveBack: () => store.markUnused(userId, hash, usedAt) };
        }
      }
      return undefined;
    },
    unusedCount: (userId) => store.unusedCount(userId),
  };
}
