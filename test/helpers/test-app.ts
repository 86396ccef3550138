// The app as production builds it (buildApp + loadConfig), on a fresh SQLite file, with the real
// Vonage SDK talking to the Verify simulator on 127.0.0.1.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, vi } from 'vitest';
import { buildApp } from '../../src/app.ts';
import type { BuildOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';
import type { VerifySimulator, VerifySimulatorOptions } from '../../src/verify-simulator/index.ts';
import { createCookieJar, csrfFrom, requestUrl } from './cookie-jar.ts';
import { advanceRedis, backendEnv, dropBackend, sqlOn } from './test-backend.ts';
import type { CookieJar } from './cookie-jar.ts';

export const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple', phone: '+15555550100' };
const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
export const SESSION_SECRET = 'test-secret-that-is-at-least-32-characters-long';
const API_KEY = 'abcd1234';
const API_SECRET = 'test-api-secret';
const APPLICATION_ID = '00000000-0000-4000-8000-000000000001';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_KEY = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

let aliceHash: Promise<string> | undefined;
/**
 * Alice has had recovery codes (one, long spent), so her sign-ins go straight on instead of first
 * showing her a new set; test/routes/recovery-codes.test.ts deletes the row to see that page.
 */
const ALICE_HAD_RECOVERY_CODES = `INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) SELECT id, 'spent-in-the-test-seed', 0, 0 FROM users WHERE email = '${ALICE.email}';\n`;

export type Api = 'v2' | 'legacy';

export interface TestApp {
  app: FastifyInstance;
  sim: VerifySimulator;
  dir: string;
  logs: string[];
  client(): TestClient;
  /**
   * Moves the clock to `ms` (a faked Date), and Redis's keys with it when the app runs on Redis
   * (Redis expires keys on its own clock, which a faked Date does not move).
   */
  moveClock(ms: number): Promise<void>;
  /** SQL on the app's database, SQLite or PostgreSQL alike (`$1` placeholders). */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  api: Api;
  /** Reuse a folder (its database and seeds) to test a restart. */
  dir?: string;
  /** Reuse a simulator (e.g. across a restart). */
  sim?: VerifySimulator;
  simulator?: Partial<VerifySimulatorOptions>;
  env?: Record<string, string>;
  /** buildApp's own options (e.g. small server timeouts); the log stream is the test app's. */
  build?: BuildOptions;
}

export function simulatorOptions(extra: Partial<VerifySimulatorOptions> = {}): Partial<VerifySimulatorOptions> {
  return { apiKey: API_KEY, apiSecret: API_SECRET, applicationId: APPLICATION_ID, publicKeyPem: PUBLIC_KEY, ...extra };
}

export function verifyEnv(api: Api, simUrl: string): Record<string, string> {
  const credentials: Record<string, string> =
    api === 'v2'
      ? { VONAGE_APPLICATION_ID: APPLICATION_ID, VONAGE_PRIVATE_KEY: PRIVATE_KEY }
      : { VONAGE_API_KEY: API_KEY, VONAGE_API_SECRET: API_SECRET };
  return { VERIFY_API: api, VONAGE_API_HOST: simUrl, VERIFY_TIMEOUT_MS: '1000', ...credentials };
}

/**
 * A folder with a seed migration for Alice, made the way the README tells admins to, except that
 * it names must_change_password = 0 (she is not made to change her password at sign-in).
 */
export async function seededDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'signin-test-'));
  mkdirSync(join(dir, 'seeds'));
  aliceHash ??= hashPassword(ALICE.password);
  writeFileSync(
    join(dir, 'seeds', '0100_seed_alice.sql'),
    // must_change_password 0: Alice has chosen her own password (an admin's seed keeps the default, 1).
    `INSERT INTO users (email, phone, password_hash, must_change_password) VALUES ('${ALICE.email}', '${ALICE.phone}', '${await aliceHash}', 0);\n` +
      ALICE_HAD_RECOVERY_CODES,
  );
  return dir;
}

/**
 * For a describe block whose tests each start their own app: the returned function starts one,
 * and after each test every app it started is closed (its folder removed) and real timers return.
 */
export function useTestApps(): (options: TestAppOptions) => Promise<TestApp> {
  const started: TestApp[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(started.splice(0).map((t) => t.close()));
  });
  return async (options) => {
    const t = await startTestApp(options);
    started.push(t);
    return t;
  };
}

/** Removes a test folder and the database and Redis keys that went with it. */
export async function removeTestDir(dir: string): Promise<void> {
  await dropBackend(dir);
  rmSync(dir, { recursive: true, force: true });
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const dir = options.dir ?? (await seededDir());
  const sim = options.sim ?? (await startVerifySimulator(simulatorOptions(options.simulator)));
  const env: Record<string, string> = {
    ...(await backendEnv(dir)),
    MIGRATIONS_DIR: `${MIGRATIONS}:${join(dir, 'seeds')}`,
    SESSION_SECRET,
    LOG_LEVEL: 'debug',
    ...verifyEnv(options.api, sim.url),
    ...options.env,
  };
  const logs: string[] = [];
  const app = await buildApp(loadConfig(env), { ...options.build, logStream: { write: (line) => void logs.push(line) } });
  await app.ready();
  return {
    app,
    sim,
    dir,
    logs,
    client: () => createTestClient(app),
    sql: (text, params) => sqlOn(dir, text, params),
    async moveClock(ms) {
      const by = ms - Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: ms });
      if (env.REDIS_KEY_PREFIX && by > 0) await advanceRedis(env.REDIS_KEY_PREFIX, by);
    },
    async close() {
      await app.close();
      if (!options.sim) await sim.close();
      // a folder (and its database) made here is removed here; one passed in belongs to the
      // caller (e.g. a restart test), who removes it with removeTestDir
      if (!options.dir) await removeTestDir(dir);
    },
  };
}

export interface TestClient {
  jar: CookieJar;
  get(url: string): Promise<LightMyRequestResponse>;
  /** Posts a form with the CSRF token of the last page seen (fetching /login first if none). */
  post(url: string, fields?: Record<string, string>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Password step then code step; returns the response to the code POST. */
  signIn(sim: VerifySimulator, email?: string, password?: string): Promise<LightMyRequestResponse>;
  sessionId(): string | undefined;
}

/** `headers` go with every request (e.g. the TLS proxy's `x-forwarded-proto: https`). */
export function createTestClient(app: FastifyInstance, headers: Record<string, string> = {}): TestClient {
  const always = headers;
  const jar = createCookieJar();
  let csrf: string | undefined;
  const remember = (res: LightMyRequestResponse) => {
    jar.store(res);
    if (res.headers['content-type']?.toString().startsWith('text/html') && res.body.includes('name="_csrf"')) {
      csrf = csrfFrom(res.body);
    }
    return res;
  };
  const client: TestClient = {
    jar,
    async get(url) {
      return remember(await app.inject({ method: 'GET', url, cookies: jar.cookiesFor(requestUrl(url, always)), headers: always }));
    },
    async post(url, fields = {}, headers = {}) {
      if (csrf === undefined) {
        // the form's page, over TLS if this post says it comes over TLS (Secure cookies need it)
        const page = headers['x-forwarded-proto'] ? { ...always, 'x-forwarded-proto': headers['x-forwarded-proto'] } : always;
        remember(await app.inject({ method: 'GET', url: '/login', cookies: jar.cookiesFor(requestUrl('/login', page)), headers: page }));
      }
      const payload = new URLSearchParams({ _csrf: csrf as string, ...fields }).toString();
      return remember(
        await app.inject({
          method: 'POST',
          url,
          cookies: jar.cookiesFor(requestUrl(url, { ...always, ...headers })),
          headers: { ...always, ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload,
        }),
      );
    },
    async signIn(sim, email = ALICE.email, password = ALICE.password) {
      const login = await client.post('/login', { email, password });
      if (login.statusCode !== 303) throw new Error(`password step answered ${login.statusCode}`);
      await client.get('/login/code');
      return client.post('/login/code', { code: sim.lastCode(ALICE.phone) as string });
    },
    sessionId: () => jar.sessionId(),
  };
  return client;
}
