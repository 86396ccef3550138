// `npm run bench`: the bare Fastify ceiling and our app, each in its own process, driven over
// loopback by autocannon with the same duration and connections; prints a table and writes
// bench/results.json. Not a test: it asserts nothing.
//
// Knobs (bench only): BENCH_CONNECTIONS (10), BENCH_DURATION s (10), BENCH_WARMUP s (2),
// BENCH_ONLY=signed-in,postgres,postgres-redis,anonymous,password,sessions,argon2 (the bare row
// always runs), BENCH_PROFILE=DIR writes a V8 CPU profile of the app server per row there (read
// them with `node bench/profile-summary.ts DIR/signed-in.cpuprofile`), BENCH_POSTGRES_URL
// (postgres://postgres@127.0.0.1:5432/test, an admin connection: the PostgreSQL rows run on a
// database of their own made through it) and BENCH_REDIS_URL (redis://127.0.0.1:6379, under a key
// prefix of their own); a row whose server does not answer is reported as skipped. The app server
// gets this process's environment, so `UV_THREADPOOL_SIZE=1 npm run bench` measures that pool size.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFixture } from './fixture.ts';
import { startServer } from './servers.ts';
import type { BenchServer } from './servers.ts';
import { fetchCsrfPair, probe, signInOnce } from './signin-flow.ts';
import { anonymousHome, bareRoot, homeWhilePasswordStep, measure, passwordStep, signedInHome } from './scenarios.ts';
import type { LoadSettings } from './scenarios.ts';
import type { LoadResult } from './load.ts';
import { measureSessionsAtScale } from './sessions-at-scale.ts';
import { measureArgon2 } from './argon2-cost.ts';
import { benchBackends } from './postgres-redis.ts';
import { machineInfo, markdownTable, writeResults } from './report.ts';
import type { BenchResults, Row } from './report.ts';

const settings: LoadSettings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  durationS: Number(process.env.BENCH_DURATION ?? 10),
  warmupS: Number(process.env.BENCH_WARMUP ?? 2),
};
const only = process.env.BENCH_ONLY?.split(',');
const runs = (part: string) => !only || only.includes(part);
const profileDir = process.env.BENCH_PROFILE;
const SESSIONS_AT_SCALE = 100_000;
const ACCOUNTS = 5000;
const log = (line: string) => console.log(`[bench] ${line}`);

// Each sign-in takes a fresh account: Verify refuses a second running verification to one number.
let accountsTaken = 0;
const takeAccount = () => {
  if (accountsTaken === ACCOUNTS) throw new Error('out of bench accounts: raise ACCOUNTS');
  return ++accountsTaken;
};

const fixture = await createFixture(ACCOUNTS);
const logFile = join(fixture.dir, 'servers.log');
let bare: BenchServer | undefined;
let app: BenchServer | undefined;
// Made on first use by the PostgreSQL rows; removed in `finally`, or on Ctrl-C / SIGTERM (with
// the temp folder; the app servers exit by themselves when this process goes).
const backends = benchBackends();
const versions: Record<string, string> = {};
/** Cookies each page sets, checked once before its load (the PostgreSQL rows add theirs). */
const setCookies: Record<string, string[]> = {};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: removing the bench database, keys and temp folder`);
    void removeBackends().finally(() => {
      rmSync(fixture.dir, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}
try {
  log(`starting servers (temp folder ${fixture.dir})`);
  // No REDIS_URL for this server: its rows are the SQLite store's, whatever the app later supports.
  app = await startServer('./app-server.ts', { env: { ...fixture.appEnv, REDIS_URL: '' }, logFile });
  const appServer = app;
  const signedInCookie = await signInOnce(app.url, fixture.sim, takeAccount());
  const homePage = await capturePage(`${app.url}/`, signedInCookie);
  bare = await startServer('./bare-server.ts', { logFile, env: { BENCH_PAGE: JSON.stringify(homePage) } });
  setCookies['GET / signed in'] = (await probe(`${app.url}/`, signedInCookie)).setCookies;
  setCookies['GET / anonymous'] = (await probe(`${app.url}/`)).setCookies;
  const rssMiB: Record<string, number> = { started: await rss(app) };

  log('bare Fastify');
  const bareResult = await measure(settings, bare, bareRoot(bare.url));
  const rows: Row[] = [row('bare Fastify, one short route (ceiling)', bareResult, bareResult)];
  log("bare Fastify sending the home page's bytes");
  const samePage = await measure(settings, bare, { url: `${bare.url}/page` });
  rows.push({ ...row("bare Fastify sending (1)'s exact headers and body, no work", samePage, bareResult) });
  const home = signedInHome(app.url, signedInCookie);

  let homeRps = 0;
  if (runs('signed-in')) {
    log('(1) protected page, signed in');
    const result = await profiled('signed-in', () => measure(settings, appServer, home));
    homeRps = result.requestsPerSecond;
    rows.push(row('(1) protected page, signed in, SQLite store', result, bareResult));
  }
  if (runs('postgres')) rows.push(await postgresRow('postgres', bareResult));
  if (runs('postgres-redis')) rows.push(await postgresRow('postgres-redis', bareResult));
  if (runs('anonymous')) {
    log('(2) protected page, no session');
    const result = await profiled('anonymous', () => measure(settings, appServer, anonymousHome(appServer.url)));
    rows.push(row('(2) protected page, no session (303)', result, bareResult));
  }
  rssMiB.afterPageRows = await rss(app);

  let homeP99DuringPasswordStep;
  if (runs('password')) {
    const password = passwordStep(app.url, await fetchCsrfPair(app.url), takeAccount);
    log('(3) password step');
    const alone = await profiled('password', () => measure(settings, appServer, password));
    rows.push(row('(3) password step (argon2id + Verify start)', alone));
    // A quarter of the page's measured capacity: the server has time to spare, so the p99 shows
    // waiting for the event loop (or a core), not a queue of our own making.
    const ratePerS = homeRps ? Math.max(100, Math.round(homeRps / 4 / 100) * 100) : 1000;
    log(`(3) protected page at ${ratePerS} req/s, alone then during the password step`);
    const { idle, underLoad, passwordUnderLoad } = await homeWhilePasswordStep(settings, app, home, ratePerS, password);
    const factor = underLoad.p99Ms / idle.p99Ms;
    homeP99DuringPasswordStep = { ratePerS, idleP99Ms: idle.p99Ms, underLoadP99Ms: underLoad.p99Ms, factor };
    rows.push(row(`(3) protected page at ${ratePerS} req/s, idle`, idle), {
      ...row(`(3) protected page at ${ratePerS} req/s, during password step`, underLoad),
      note:
        `p99 ${factor.toFixed(2)}× idle; password step meanwhile ${passwordUnderLoad.requestsPerSecond.toFixed(1)} req/s, ` +
        `p99 ${passwordUnderLoad.p99Ms.toFixed(0)} ms; ${statusNote(underLoad.statuses)}`,
    });
    rssMiB.afterPasswordStep = await rss(app);
  }
  await bare.stop();

  let sessions;
  if (runs('sessions')) {
    log(`(4) ${SESSIONS_AT_SCALE.toLocaleString('en')} sessions`);
    sessions = await measureSessionsAtScale(app, fixture.databasePath, signedInCookie, SESSIONS_AT_SCALE, settings);
    rows.push(row('(4) protected page, 100k sessions, random one per request', sessions.randomSessionHome, bareResult));
  }
  const appThreadPoolSize = app.threadPoolSize;
  await app.stop();

  let argon2;
  if (runs('argon2')) {
    log('argon2id cost per parameter set and libuv pool size');
    argon2 = await measureArgon2(3000);
  }

  const results: BenchResults = {
    machine: machineInfo(),
    settings: { ...settings, appThreadPoolSize },
    rows,
    backends: Object.keys(versions).length > 0 ? versions : undefined,
    homeP99DuringPasswordStep,
    rssMiB,
    sessions,
    argon2,
    setCookies,
  };
  console.log('\n' + markdownTable(results) + '\n');
  writeResults(new URL('./results.json', import.meta.url), results);
  log('wrote bench/results.json');
  if (profileDir) log(`CPU profiles in ${profileDir}`);
} finally {
  await bare?.stop();
  await app?.stop();
  await removeBackends();
  await fixture.sim.close();
  rmSync(fixture.dir, { recursive: true, force: true });
}

/** The signed-in home page's headers and body, for the bare server to replay. */
async function capturePage(url: string, cookie: string): Promise<{ headers: Record<string, string>; body: string }> {
  const res = await fetch(url, { headers: { cookie, 'x-forwarded-proto': 'https' } });
  const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
  const headers = Object.fromEntries([...res.headers].filter(([name]) => !skip.has(name)));
  return { headers, body: await res.text() };
}

/** A table row; compared with the bare app when `bare` is given (rows run flat out only). */
function row(scenario: string, result: LoadResult, bare?: LoadResult): Row {
  const ratioToBare = bare ? result.requestsPerSecond / bare.requestsPerSecond : undefined;
  return { scenario, result, ratioToBare, note: statusNote(result.statuses) };
}

/** Responses per status code (and errors): anything unexpected is worth seeing beside the numbers. */
function statusNote(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([code, count]) => `${code}: ${count}`)
    .join(', ');
}

async function rss(server: BenchServer): Promise<number> {
  return Math.round((await server.stats(true)).rss / 2 ** 20);
}

function profiled<T>(name: string, during: () => Promise<T>, server = app): Promise<T> {
  if (!profileDir || !server) return during();
  mkdirSync(profileDir, { recursive: true });
  return server.profile(join(profileDir, `${name}.cpuprofile`), during);
}

/**
 * Row (1) on PostgreSQL (sessions and counters in the database too), or on PostgreSQL + Redis
 * (sessions and counters in Redis, under the bench's own key prefix). Both use one fresh database
 * that the first app to start migrates and seeds with the fixture's accounts; each row has its
 * own app server, started and stopped here. Skipped, with the reason, when a server does not answer.
 */
async function postgresRow(part: 'postgres' | 'postgres-redis', bareResult: LoadResult): Promise<Row> {
  const withRedis = part === 'postgres-redis';
  const backendNames = withRedis ? 'PostgreSQL + Redis' : 'PostgreSQL';
  const scenario = `(1) protected page, signed in, ${backendNames}`;
  const database = await backends.postgres();
  if ('skipped' in database) return { scenario, note: `skipped (${database.skipped})` };
  versions.PostgreSQL = database.version;
  // REDIS_URL set to nothing (this process's own must not leak in): sessions stay in PostgreSQL.
  const env = { ...fixture.appEnv, DATABASE_URL: database.url, REDIS_URL: '', REDIS_KEY_PREFIX: '' };
  if (withRedis) {
    const redis = await backends.redis();
    if ('skipped' in redis) return { scenario, note: `skipped (${redis.skipped})` };
    versions.Redis = redis.version;
    Object.assign(env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.keyPrefix });
  }
  log(scenario);
  const server = await startServer('./app-server.ts', { env, logFile });
  try {
    const cookie = await signInOnce(server.url, fixture.sim, takeAccount());
    setCookies[`GET / signed in, ${backendNames}`] = (await probe(`${server.url}/`, cookie)).setCookies;
    const result = await profiled(part, () => measure(settings, server, signedInHome(server.url, cookie)), server);
    return row(scenario, result, bareResult);
  } finally {
    await server.stop();
  }
}

/** Drops the bench database and Redis keys; says what is left if that fails (never throws). */
async function removeBackends(): Promise<void> {
  const left = await backends.cleanup();
  for (const what of left) console.warn(`[bench] could not remove ${what}: remove it by hand`);
}
