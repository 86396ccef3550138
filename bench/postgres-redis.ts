// The backends of the PostgreSQL rows: a fresh database on the machine's PostgreSQL
// (BENCH_POSTGRES_URL, an admin connection that may CREATE DATABASE; the app migrates and seeds
// it itself from the fixture's MIGRATIONS_DIR when it starts) and a key prefix of the bench's own
// on Redis (BENCH_REDIS_URL). Each is made on first use, or gives the reason it cannot be (the
// server does not answer); `cleanup` drops the database and deletes the keys, however the run ends.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const BENCH_POSTGRES_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

/** A server that has not answered by then counts as not running: the row is skipped. */
const ANSWER_WITHIN_MS = 3000;

export type Skipped = { skipped: string };
export interface BenchDatabase {
  name: string;
  /** DATABASE_URL for the app: the admin URL with the database swapped. */
  url: string;
  version: string;
}
export interface BenchRedis {
  url: string;
  keyPrefix: string;
  version: string;
}

export interface BenchBackends {
  postgres(): Promise<BenchDatabase | Skipped>;
  redis(): Promise<BenchRedis | Skipped>;
  /** Drops what was made (once: later calls share the first; fine when nothing was); returns what it could not remove. */
  cleanup(): Promise<string[]>;
}

export function benchBackends(adminUrl = BENCH_POSTGRES_URL, redisUrl = BENCH_REDIS_URL): BenchBackends {
  let database: Promise<BenchDatabase | Skipped> | undefined;
  let redis: Promise<BenchRedis | Skipped> | undefined;
  let created: string | undefined;
  let keyPrefix: string | undefined;
  let cleaning: Promise<string[]> | undefined;

  return {
    postgres() {
      database ??= (async () => {
        if (cleaning) return { skipped: 'the bench is stopping' };
        const name = `bench_${randomBytes(6).toString('hex')}`;
        try {
          const version = await asAdmin(adminUrl, async (client) => {
            const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
            await client.query(`CREATE DATABASE ${name}`);
            created = name;
            return rows[0].server_version;
          });
          return { name, url: Object.assign(new URL(adminUrl), { pathname: `/${name}` }).href, version };
        } catch (error) {
          return { skipped: `PostgreSQL at ${where(adminUrl)}: ${messageOf(error)}` };
        }
      })();
      return database;
    },

    redis() {
      redis ??= (async () => {
        if (cleaning) return { skipped: 'the bench is stopping' };
        try {
          const version = await withRedis(redisUrl, async (client) => {
            const info = await client.info('server');
            return /^redis_version:(.+)$/m.exec(info)?.[1].trim() ?? 'unknown';
          });
          keyPrefix = `bench:${randomBytes(6).toString('hex')}:`;
          return { url: redisUrl, keyPrefix, version };
        } catch (error) {
          return { skipped: `Redis at ${where(redisUrl)}: ${messageOf(error)}` };
        }
      })();
      return redis;
    },

    cleanup() {
      cleaning ??= removeAll();
      return cleaning;
    },
  };

  async function removeAll(): Promise<string[]> {
    // Wait for a start still under way, so what it creates is removed too.
    await Promise.allSettled([database, redis]);
    const left: string[] = [];
    if (created) {
      const name = created;
      try {
        // FORCE closes connections an app server that did not stop may still hold.
        await asAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        created = undefined;
      } catch (error) {
        left.push(`PostgreSQL database ${name} (${messageOf(error)})`);
      }
    }
    if (keyPrefix) {
      const prefix = keyPrefix;
      try {
        await withRedis(redisUrl, (client) => deleteKeys(client, prefix));
        keyPrefix = undefined;
      } catch (error) {
        left.push(`Redis keys ${prefix}* (${messageOf(error)})`);
      }
    }
    return left;
  }
}

async function asAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: ANSWER_WITHIN_MS, application_name: 'verify-signin-bench' });
  // A connection lost later is an error on that query; without a listener it would end the bench.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A short-lived client that fails at once when Redis does not answer, rather than retrying. */
async function withRedis<T>(url: string, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: ANSWER_WITHIN_MS,
    commandTimeout: ANSWER_WITHIN_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // With no retries, a refused connection rejects with only "Connection is closed."; the socket's
  // own error (ECONNREFUSED, a timeout, a wrong password) says why.
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw cause && /Connection is closed/.test(messageOf(error)) ? cause : error;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** host:port only: the URL may hold a password. */
function where(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(unparseable URL)';
  }
}

function messageOf(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: { message?: string }[] };
  // A refused connection to "localhost" is an AggregateError (one per address) with no message.
  const message = e?.message || e?.errors?.map((x) => x.message).join('; ') || e?.code || String(error);
  return message.replace(/\s+/g, ' ').trim();
}
