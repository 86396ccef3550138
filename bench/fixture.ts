// What the app under test runs on: a temp folder with a SQLite file and a seed migration of
// bench accounts (one shared argon2id hash at the shipped parameters, a distinct phone each, since
// Verify refuses two concurrent verifications to one number), and the Verify simulator. The seed
// has a PostgreSQL twin in the same folder (`….postgres.sql`, which stands in for the plain file on
// that engine), so an app pointed at a fresh PostgreSQL database with the same MIGRATIONS_DIR
// migrates and seeds the same accounts itself (see postgres-redis.ts).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/accounts/passwords.ts';
import { startVerifySimulator } from '../src/verify-simulator/index.ts';
import type { VerifySimulator } from '../src/verify-simulator/index.ts';

export const BENCH_PASSWORD = 'bench password, not a secret';
export const SESSION_SECRET = 'bench-session-secret-at-least-32-characters';
const API_KEY = 'benchkey';
const API_SECRET = 'bench-api-secret';
const REPO_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

export const benchAccount = (i: number) => ({
  email: `user${i}@bench.test`,
  phone: `+1555${String(i).padStart(7, '0')}`,
});

export interface Fixture {
  dir: string;
  databasePath: string;
  sim: VerifySimulator;
  /** The environment of the app-server process. */
  appEnv: Record<string, string>;
  accounts: number;
}

export async function createFixture(accounts: number): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'signin-bench-'));
  mkdirSync(join(dir, 'seeds'));
  const hash = await hashPassword(BENCH_PASSWORD);
  // One INSERT … SELECT over a counter, so seeding thousands of accounts is one statement; the
  // same rows as benchAccount(1…accounts) on either engine. must_change_password 0: the bench
  // signs them in and measures their pages, not the forced password change.
  writeFileSync(
    join(dir, 'seeds', '0100_bench_accounts.sql'),
    `INSERT INTO users (email, phone, password_hash, must_change_password)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${accounts})
     SELECT 'user' || i || '@bench.test', '+1555' || printf('%07d', i), '${hash}', 0 FROM n;\n`,
  );
  writeFileSync(
    join(dir, 'seeds', '0100_bench_accounts.postgres.sql'),
    `INSERT INTO users (email, phone, password_hash, must_change_password)
     SELECT 'user' || i || '@bench.test', '+1555' || lpad(i::text, 7, '0'), '${hash}', 0 FROM generate_series(1, ${accounts}) AS i;\n`,
  );
  const sim = await startVerifySimulator({ apiKey: API_KEY, apiSecret: API_SECRET });
  const databasePath = join(dir, 'app.db');
  const appEnv = {
    // As in production behind a TLS proxy on this host: Secure cookies, and the proxy's
    // X-Forwarded-* trusted. The bench sends X-Forwarded-Proto: https, and X-Forwarded-For to
    // spread the password-step load over addresses (the per-IP limit of 20 a minute would stop
    // it otherwise). The proxy is named by address: Fastify 5.12 ignores a hop count (fails closed).
    NODE_ENV: 'production',
    TRUST_PROXY: '127.0.0.1',
    PUBLIC_ORIGIN: 'https://bench.example.com',
    SESSION_SECRET,
    DATABASE_URL: `sqlite:${databasePath}`,
    MIGRATIONS_DIR: `${REPO_MIGRATIONS}:${join(dir, 'seeds')}`,
    VERIFY_API: 'legacy',
    VONAGE_API_KEY: API_KEY,
    VONAGE_API_SECRET: API_SECRET,
    VONAGE_API_HOST: sim.url,
  };
  return { dir, databasePath, sim, appEnv, accounts };
}
