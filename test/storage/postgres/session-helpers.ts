// The session store's callbacks as promises, sessions shaped like the sign-in's, and one migrated
// database with two accounts and two stores on separate pools (two app processes).
import { afterAll, beforeAll } from 'vitest';
import { createPool } from '../../../src/storage/postgres/pool.ts';
import type { Pool } from '../../../src/storage/postgres/pool.ts';
import { applyPostgresMigrations } from '../../../src/storage/postgres/migrations.ts';
import { createPostgresSessionStore } from '../../../src/storage/postgres/session-store.ts';
import type { PostgresSessionStore } from '../../../src/storage/postgres/session-store.ts';
import { sessionRules } from '../../../src/signin/state.ts';
import { HASH, REPO_MIGRATIONS, sql, useFreshDatabases } from './fresh-database.ts';

import { HOUR } from '../../helpers/session-calls.ts';

export { HOUR };
export const rules = sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * HOUR }, HOUR);

export { destroySession, getSession, inAnHour, pending, sessionExpiringAt, setSession, signedIn } from '../../helpers/session-calls.ts';

export type SessionDatabase = {
  url: string;
  /** Two stores on two pools: two app processes on one database. */
  store: PostgresSessionStore;
  other: PostgresSessionStore;
  /** A session ID no other test uses (the tests of a file share the database). */
  newSid(label?: string): string;
  rowOf(sid: string): Promise<{ data: string; expires_at: string; user_id: number | null } | undefined>;
};

/** Accounts 1 and 2 exist; the pools close after the file's tests. */
export function useSessionDatabase(): SessionDatabase {
  const freshDatabase = useFreshDatabases();
  let pools: Pool[] = [];
  let n = 0;
  const context = {
    newSid: (label = 's') => `${label}-${++n}-${Math.random().toString(36).slice(2)}`,
    rowOf: async (sid: string) =>
      (await sql<{ data: string; expires_at: string; user_id: number | null }>(context.url, 'SELECT data, expires_at, user_id FROM sessions WHERE sid = $1', [sid]))[0],
  } as SessionDatabase;
  beforeAll(async () => {
    ({ url: context.url } = await freshDatabase());
    await applyPostgresMigrations(context.url, [REPO_MIGRATIONS]);
    await sql(context.url, 'INSERT INTO users (id, email, phone, password_hash) VALUES (1, $1, $2, $3), (2, $4, $5, $3)', [
      'a@example.com', '+15555550100', HASH, 'b@example.com', '+15555550101',
    ]);
    pools = [createPool(context.url, { max: 4 }), createPool(context.url, { max: 4 })];
    [context.store, context.other] = pools.map((pool) => createPostgresSessionStore(pool, rules));
  });
  // Registered after useFreshDatabases' own afterAll, so it runs first: pools close before the drop.
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });
  return context;
}
