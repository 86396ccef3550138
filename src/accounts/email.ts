// Emails match case-insensitively, as the database compares them: ASCII letters only (SQLite's
// NOCASE, PostgreSQL's lower() under the C collation), so every engine agrees on who is who.
export function normalizeEmail(email: string): string {
  return email.trim().replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** Something@something, with no spaces or control characters (a NUL would fail in PostgreSQL). */
export const EMAIL_SHAPE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;
