// New recovery codes on their way to the one page that shows them, sealed so that no store ever
// holds them in plain: AES-256-GCM under a fresh random key per set, which the server never
// stores. The session (SQLite, PostgreSQL or Redis, and their WAL, dumps and AOF) gets only the
// ciphertext; the key goes to the browser alone, in a short-lived HttpOnly cookie
// (recovery-session.ts). Whoever holds the store alone, or the cookie alone, learns nothing; both
// are needed, and the page that opens them clears both. The account's id is bound in as additional
// data, so a sealed set opens only in a session of the account it was made for.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const boundTo = (userId: number) => Buffer.from(`recovery-codes/v1:${userId}`);

/** `sealed` for the session, `key` for the cookie (both base64url). */
export function sealCodes(codes: string[], userId: number): { sealed: string; key: string } {
  const key = randomBytes(KEY_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(boundTo(userId));
  const body = Buffer.concat([cipher.update(JSON.stringify(codes), 'utf8'), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url'), key: key.toString('base64url') };
}

/** The codes, or undefined when the key is not this set's (or either was tampered with). */
export function openCodes(sealed: string, key: string, userId: number): string[] | undefined {
  const keyBytes = Buffer.from(key, 'base64url');
  const bytes = Buffer.from(sealed, 'base64url');
  if (keyBytes.length !== KEY_BYTES || bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv(ALGORITHM, keyBytes, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(boundTo(userId));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    const codes: unknown = JSON.parse(plain);
    return Array.isArray(codes) && codes.every((code) => typeof code === 'string') ? codes : undefined;
  } catch {
    return undefined;
  }
}
