// Vitest global setup (vitest.backends.config.ts): on a PostgreSQL run, one database migrated with
// the repository's migrations, which each test app's database is copied from
// (`CREATE DATABASE … TEMPLATE`, test/helpers/test-backend.ts) instead of an empty database that
// every app start migrated again. Workers inherit its name and the prefix of the run's databases;
// when the run ends the template is dropped, and any database of the run whose drop
// (test/helpers/test-backend.ts, not awaited) had not finished.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { applyPostgresMigrations } from '../src/storage/postgres/migrations.ts';

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

async function asAdmin(sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TEST_DATABASE !== 'postgres') return undefined;
  const run = randomBytes(4).toString('hex');
  const prefix = `t_${run}_`;
  const name = `t_template_${run}`;
  await asAdmin(`CREATE DATABASE ${name}`);
  const url = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).href;
  await applyPostgresMigrations(url, [MIGRATIONS]);
  process.env.TEST_TEMPLATE_DATABASE = name;
  process.env.TEST_DATABASE_PREFIX = prefix;
  return async () => {
    delete process.env.TEST_TEMPLATE_DATABASE;
    delete process.env.TEST_DATABASE_PREFIX;
    const left = await asAdmin('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of [...left, { datname: name }]) {
      await asAdmin(`DROP DATABASE IF EXISTS ${String(datname)} WITH (FORCE)`).catch((error: Error) =>
        console.warn(`could not drop the test database ${String(datname)}: ${error.message}`),
      );
    }
  };
}
