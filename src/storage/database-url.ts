// DATABASE_URL: which engine holds the accounts, and where.
/** Where DATABASE_URL points: a SQLite file, or a PostgreSQL server (the URL as given, for pg). */
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

const SQLITE_EXAMPLE = 'use sqlite:PATH, e.g. sqlite:data/app.db or sqlite:/var/lib/app/app.db';
const POSTGRES_EXAMPLE = 'use postgres://USER[:PASSWORD]@HOST:PORT/DB, e.g. postgres://app:secret@127.0.0.1:5432/app';
const ANY_EXAMPLE = `${SQLITE_EXAMPLE}, or ${POSTGRES_EXAMPLE.slice('use '.length)}`;

/**
 * Reads DATABASE_URL: `sqlite:PATH`, or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (also
 * `postgresql://`; query parameters such as `?sslmode=require` pass through to pg). The value
 * itself is never echoed in errors: a postgres URL carries a password.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const value = url.trim();
  if (/^postgres(ql)?:/i.test(value)) return { kind: 'postgres', url: checkPostgresUrl(value) };
  if (!/^sqlite:/i.test(value)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1];
    const what = scheme ? `the scheme "${scheme}:" is not supported` : 'must start with sqlite: or postgres://';
    throw new Error(`DATABASE_URL: ${what}; ${ANY_EXAMPLE}`);
  }
  const filePath = value.slice('sqlite:'.length);
  // `sqlite://data/app.db` would silently mean the absolute path /data/app.db; refuse the guesswork.
  if (filePath.startsWith('//')) {
    throw new Error(`DATABASE_URL: write sqlite:PATH without "//"; ${SQLITE_EXAMPLE}`);
  }
  if (filePath === '') {
    throw new Error(`DATABASE_URL: the path after sqlite: is empty; ${SQLITE_EXAMPLE}`);
  }
  return { kind: 'sqlite', path: filePath };
}

/** Each refusal names the part that is wrong, never its value. */
function checkPostgresUrl(value: string): string {
  const refuse = (what: string) => new Error(`DATABASE_URL: ${what}; ${POSTGRES_EXAMPLE}`);
  if (!/^postgres(ql)?:\/\//i.test(value)) throw refuse('write postgres:// with two slashes');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw refuse('is not a valid URL (a password with @, :, / or # must be percent-encoded)');
  }
  if (parsed.hostname === '') throw refuse('names no host');
  if (parsed.username === '') throw refuse('names no user');
  const database = parsed.pathname.slice(1);
  if (database === '' || database.includes('/')) throw refuse('must end with /DB, the database name');
  try {
    for (const part of [parsed.username, parsed.password, database]) decodeURIComponent(part);
  } catch {
    throw refuse('has a broken %-escape');
  }
  return value;
}
