// Which backends the integration tests run on, chosen by the environment of the test run:
//   (nothing)                          SQLite, a fresh file per app
//   TEST_DATABASE=postgres             PostgreSQL on 127.0.0.1:5432, a fresh database per app
//   TEST_DATABASE=postgres TEST_REDIS=1  the same, with sessions and counters in Redis (own key prefix)
// Each app's database lives beside its test folder's name, so a restart test that reuses the
// folder reuses the database; `dropBackend` removes both.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Redis } from 'ioredis';
import { advanceRedisTime } from '../storage/redis/advance-redis-time.ts';
import { asAdmin, urlOf } from '../storage/postgres/fresh-database.ts';

export const TEST_DATABASE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_REDIS = process.env.TEST_REDIS === '1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MARKER = '.test-backend.json';

interface Marker {
  database?: string;
  redisPrefix?: string;
}


/** On a SQLite run, a file already migrated with the repository's migrations (test/sqlite-template.ts). */
const SQLITE_TEMPLATE = process.env.TEST_SQLITE_TEMPLATE;
/** On a PostgreSQL run, a database already migrated with the repository's migrations (test/postgres-template.ts). */
const TEMPLATE = process.env.TEST_TEMPLATE_DATABASE;
/** The run's databases share a prefix, so the run's end drops any still there (test/postgres-template.ts). */
const DATABASE_PREFIX = process.env.TEST_DATABASE_PREFIX ?? 't_';

/**
 * The env for an app whose test folder is `dir`: a new database (or the folder's own, on reuse).
 * A new PostgreSQL database or SQLite file is a copy of the run's migrated template, so the app
 * finds only its seeds to apply; `{ migrated: false }` gives an empty one, for a test of migrating at start.
 */
export async function backendEnv(dir: string, { migrated = true } = {}): Promise<Record<string, string>> {
  const markerFile = join(dir, MARKER);
  const marker: Marker = existsSync(markerFile) ? JSON.parse(readFileSync(markerFile, 'utf8')) : {};
  if (TEST_DATABASE === 'postgres' && !marker.database) {
    marker.database = `${DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
    const template = migrated && TEMPLATE ? ` TEMPLATE ${TEMPLATE}` : '';
    await asAdmin((c) => c.query(`CREATE DATABASE ${marker.database}${template}`));
  }
  if (TEST_REDIS && !marker.redisPrefix) marker.redisPrefix = `t:${randomBytes(6).toString('hex')}:`;
  writeFileSync(markerFile, JSON.stringify(marker));
  const sqliteFile = join(dir, 'app.db');
  if (TEST_DATABASE === 'sqlite' && migrated && SQLITE_TEMPLATE && !existsSync(sqliteFile)) copyFileSync(SQLITE_TEMPLATE, sqliteFile);
  const env: Record<string, string> = {
    DATABASE_URL: marker.database ? urlOf(marker.database) : `sqlite:${sqliteFile}`,
  };
  if (marker.redisPrefix) Object.assign(env, { REDIS_URL: REDIS_URL, REDIS_KEY_PREFIX: marker.redisPrefix });
  return env;
}

/** Drops the folder's database and Redis keys (the folder itself is the caller's). */
export async function dropBackend(dir: string): Promise<void> {
  const markerFile = join(dir, MARKER);
  if (!existsSync(markerFile)) return;
  const marker: Marker = JSON.parse(readFileSync(markerFile, 'utf8'));
  if (marker.database) {
    // Not awaited: a DROP DATABASE takes ~1 s on a busy machine, and the test has no use for it.
    // A drop still under way when the run ends is finished by test/postgres-template.ts.
    const name = marker.database;
    void asAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
  }
  if (marker.redisPrefix) {
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${marker.redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }
}

/**
 * Runs SQL against the app's database as an admin would (`$1`, `$2`… placeholders, in order).
 * Returns the rows; for statements without rows, an empty list.
 */
export async function sqlOn(dir: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const env = await backendEnv(dir);
  if (env.DATABASE_URL.startsWith('sqlite:')) {
    const db = new Database(env.DATABASE_URL.slice('sqlite:'.length));
    try {
      const statement = db.prepare(text.replace(/\$\d+/g, '?'));
      return statement.reader ? (statement.all(...params) as Record<string, unknown>[]) : (statement.run(...params), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Moves every Redis key under `prefix` `ms` closer to its expiry (see TestApp.moveClock). */
export async function advanceRedis(prefix: string, ms: number): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await advanceRedisTime(redis, prefix, ms);
  } finally {
    redis.disconnect();
  }
}
