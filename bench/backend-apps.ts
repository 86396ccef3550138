// The app servers of row (1) on PostgreSQL (sessions and counters in the database too) and on
// PostgreSQL + Redis (sessions and counters in Redis, under the bench's own key prefix). Both use
// one fresh database that the first app to start migrates and seeds with the fixture's accounts.
// Each is started once, signed in once, and stays up for all the rounds; the caller stops it.
import type { Fixture } from './fixture.ts';
import type { BenchBackends } from './postgres-redis.ts';
import { startServer } from './servers.ts';
import type { BenchServer } from './servers.ts';
import { signInOnce } from './signin-flow.ts';

export type BackendPart = 'postgres' | 'postgres-redis';

export interface BackendApp {
  server: BenchServer;
  /** The `Cookie` header of a browser signed in on it. */
  cookie: string;
  /** Server versions of the backends it runs on, by name. */
  versions: Record<string, string>;
}

export interface BackendAppContext {
  fixture: Fixture;
  backends: BenchBackends;
  logFile: string;
  takeAccount: () => number;
}

export const backendNames = (part: BackendPart) => (part === 'postgres-redis' ? 'PostgreSQL + Redis' : 'PostgreSQL');

/** The app on `part`'s backends, signed in; or the reason it cannot run (a server does not answer). */
export async function startBackendApp(part: BackendPart, context: BackendAppContext): Promise<BackendApp | { skipped: string }> {
  const { fixture, backends, logFile, takeAccount } = context;
  const database = await backends.postgres();
  if ('skipped' in database) return database;
  const versions: Record<string, string> = { PostgreSQL: database.version };
  // REDIS_URL set to nothing (this process's own must not leak in): sessions stay in PostgreSQL.
  const env = { ...fixture.appEnv, DATABASE_URL: database.url, REDIS_URL: '', REDIS_KEY_PREFIX: '' };
  if (part === 'postgres-redis') {
    const redis = await backends.redis();
    if ('skipped' in redis) return redis;
    versions.Redis = redis.version;
    Object.assign(env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix });
  }
  const server = await startServer('./app-server.ts', { env, logFile });
  try {
    return { server, cookie: await signInOnce(server.url, fixture.sim, takeAccount()), versions };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
