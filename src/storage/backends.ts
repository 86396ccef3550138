// Opens the backends the configuration names: the database (SQLite or PostgreSQL) for accounts,
// migrations and the audit log, and for sessions and counters unless Redis is set. PostgreSQL and
// Redis clients load only when used.
import { resolve } from 'node:path';
import type { DatabaseBackend, StateBackend, StateOptions } from './backend.ts';
import type { DatabaseLocation } from './database-url.ts';
import { migrateSqlite, openSqliteBackend } from './sqlite/backend.ts';

export interface BackendSettings {
  database: DatabaseLocation;
  migrationsDirs: string[];
  redisUrl?: string;
  redisKeyPrefix: string;
  /** false (the admin commands): use the database as it is; a SQLite file must exist already. */
  migrate?: boolean;
  /** Told once when another instance holds the migration lock and this start waits for it. */
  onMigrationWait?: (message: string) => void;
}

/** Told when a connection drops between requests (once per outage), so an outage shows in the log. */
export type ConnectionErrorListener = (backend: 'database' | 'redis', error: Error) => void;
/** Told when a backend whose loss was reported answers again, so the outage's end shows too. */
export type ConnectionRestoredListener = (backend: 'database' | 'redis') => void;

export interface Backends {
  database: DatabaseBackend;
  /** Sessions and counters: Redis when set, else the database. */
  state: StateBackend;
  /** Each backend in use and whether it answers right now. */
  health(): Promise<Record<string, 'ok' | 'unavailable'>>;
  /** Names of the migrations this start applied. */
  appliedMigrations: string[];
  close(): Promise<void>;
}

export async function openBackends(
  settings: BackendSettings,
  options: StateOptions,
  onConnectionError: ConnectionErrorListener = () => {},
  onConnectionRestored: ConnectionRestoredListener = () => {},
): Promise<Backends> {
  const { database: location, migrationsDirs, migrate } = settings;
  let database: DatabaseBackend & { appliedMigrations: string[] };
  if (location.kind === 'postgres') {
    const { openPostgresBackend } = await import('./postgres/backend.ts');
    database = await openPostgresBackend(location.url, {
      ...options,
      migrationsDirs,
      migrate,
      onIdleError: (error) => onConnectionError('database', error),
      onRestored: () => onConnectionRestored('database'),
      onMigrationWait: settings.onMigrationWait,
    });
  } else {
    database = await openSqliteBackend(location.path, { ...options, migrationsDirs, migrate });
  }
  let redis: StateBackend | undefined;
  if (settings.redisUrl) {
    try {
      const { openRedisState } = await import('./redis/state.ts');
      redis = await openRedisState(settings.redisUrl, {
        ...options,
        keyPrefix: settings.redisKeyPrefix,
        onConnectionError: (error) => onConnectionError('redis', error),
        onConnectionRestored: () => onConnectionRestored('redis'),
      });
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  let closing: Promise<void> | undefined;
  const answers = (backend: StateBackend) => backend.ping().then(() => 'ok' as const, () => 'unavailable' as const);

  return {
    database,
    state: redis ?? database,
    appliedMigrations: database.appliedMigrations,
    async health() {
      const [db, cache] = await Promise.all([answers(database), redis ? answers(redis) : undefined]);
      const states: Record<string, 'ok' | 'unavailable'> = { database: db };
      if (cache) states.redis = cache;
      return states;
    },
    close() {
      // once, however often it is asked (the app's onClose and a failed start may both ask)
      closing ??= Promise.allSettled([redis?.close(), database.close()]).then(() => undefined);
      return closing;
    },
  };
}

/** Applies pending migrations to the database, and opens nothing else (`npm run migrate`); the names applied. */
export async function applyPendingMigrations(settings: Pick<BackendSettings, 'database' | 'migrationsDirs' | 'onMigrationWait'>): Promise<string[]> {
  const { database, migrationsDirs } = settings;
  if (database.kind === 'sqlite') return migrateSqlite(database.path, migrationsDirs);
  const { applyPostgresMigrations } = await import('./postgres/migrations.ts');
  return (await applyPostgresMigrations(database.url, migrationsDirs, { onWait: settings.onMigrationWait })).applied;
}

/**
 * Which backends these settings name, in one line for an admin: engine, host and database or
 * file, Redis and its key prefix. Never a password (nor a user: only where the data is).
 */
export function describeBackends(settings: Pick<BackendSettings, 'database' | 'redisUrl' | 'redisKeyPrefix'>, parts: { sessions: boolean }): string {
  const { database } = settings;
  let line: string;
  if (database.kind === 'sqlite') {
    line = `database: SQLite ${database.path === ':memory:' ? ':memory:' : resolve(database.path)}`;
  } else {
    const url = new URL(database.url);
    line = `database: PostgreSQL ${decodeURIComponent(url.pathname.slice(1))} on ${url.hostname}:${url.port || '5432'}`;
  }
  if (!parts.sessions) return line;
  if (!settings.redisUrl) return `${line}; sessions and counters: in the database`;
  const redis = new URL(settings.redisUrl);
  const db = redis.pathname.replace('/', '') || '0';
  return `${line}; sessions and counters: Redis ${redis.hostname}:${redis.port || '6379'}/${db}, key prefix "${settings.redisKeyPrefix}"`;
}
