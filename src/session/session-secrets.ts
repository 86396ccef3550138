// SESSION_SECRET: one or more secrets (the first signs, all verify). Outside production one is
// made once and kept in a file beside the SQLite database (or in data/), so sessions survive restarts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const MIN_SECRET_LENGTH = 32;

/** Throws an Error whose message is one line naming SESSION_SECRET. */
export function loadSessionSecrets(raw: string | undefined, production: boolean, sqliteFile: string | undefined): string[] {
  if (raw === undefined) {
    if (production) throw new Error('SESSION_SECRET is required in production (at least 32 characters)');
    return [generatedDevelopmentSecret(sqliteFile)];
  }
  const secrets = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (secrets.length === 0 || secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    throw new Error(`SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters (each, when comma-separated)`);
  }
  return secrets;
}

/** `sqliteFile`: the SQLite database's file, when the database is one. */
function generatedDevelopmentSecret(sqliteFile: string | undefined): string {
  const beside = sqliteFile !== undefined && sqliteFile !== ':memory:';
  const dir = beside ? dirname(resolve(sqliteFile)) : resolve('data');
  const file = resolve(dir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
