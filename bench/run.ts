// `npm run bench`: the bare Fastify ceiling and our app, each in its own process, driven over
// loopback by autocannon with the same duration and connections; prints a table and writes
// bench/results.json. Not a test: it asserts nothing. The page rows (bare, same bytes, (1) on each
// store, (2)) run in BENCH_ROUNDS alternating rounds (see rounds.ts); the password step, the 100k
// sessions and argon2 are one-off measurements after them.
//
// Knobs: see knobs.ts.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createFixture } from './fixture.ts';
import { startServer } from './servers.ts';
import type { BenchServer, StartOptions } from './servers.ts';
import { fetchCsrfPair, probe, signInOnce } from './signin-flow.ts';
import { anonymousHome, bareRoot, homeWhilePasswordStep, measure, passwordStep, signedInHome } from './scenarios.ts';
import { pacedRate, profileDir, rounds, runs, settings } from './knobs.ts';
import { measureSessionsAtScale } from './sessions-at-scale.ts';
import { measureArgon2 } from './argon2-cost.ts';
import { benchBackends } from './postgres-redis.ts';
import { backendNames, startBackendApp } from './backend-apps.ts';
import type { BackendPart } from './backend-apps.ts';
import { REWARM_S, measureInRounds, onceRow, roundsRow, statusNote } from './rounds.ts';
import type { PageRow } from './rounds.ts';
import { machineInfo, markdownTable, writeResults } from './report.ts';
import { metricsSlot, noteMetricsCost } from './metrics-row.ts';
import type { BenchResults, Row } from './report.ts';

const SESSIONS_AT_SCALE = 100_000;
const ACCOUNTS = 5000;
/** Issue 8's bounds on the signed-in page's median server CPU µs per request. */
const TARGET_CPU_US = { sqlite: 75, postgresRedis: 110 };
const SIGNED_IN = '(1) protected page, signed in, SQLite store';
const log = (line: string) => console.log(`[bench] ${line}`);

// Each sign-in takes a fresh account: Verify refuses a second running verification to one number.
let accountsTaken = 0;
const takeAccount = () => {
  if (accountsTaken === ACCOUNTS) throw new Error('out of bench accounts: raise ACCOUNTS');
  return ++accountsTaken;
};

const fixture = await createFixture(ACCOUNTS);
const logFile = join(fixture.dir, 'servers.log');
/** Every server started, all stopped in `finally` (stopping one twice is fine). */
const servers: BenchServer[] = [];
const start = async (script: string, options: StartOptions) => {
  const server = await startServer(script, options);
  servers.push(server);
  return server;
};
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
  const app = await start('./app-server.ts', { env: { ...fixture.appEnv, REDIS_URL: '' }, logFile });
  const signedInCookie = await signInOnce(app.url, fixture.sim, takeAccount());
  const homePage = await capturePage(`${app.url}/`, signedInCookie);
  const bare = await start('./bare-server.ts', { logFile, env: { BENCH_PAGE: JSON.stringify(homePage) } });
  setCookies['GET / signed in'] = (await probe(`${app.url}/`, signedInCookie)).setCookies;
  setCookies['GET / anonymous'] = (await probe(`${app.url}/`)).setCookies;
  const rssMiB: Record<string, number> = { started: await rss(app) };
  const home = signedInHome(app.url, signedInCookie);

  // The page rows in table order; a PostgreSQL row whose server does not answer is a skipped Row.
  const slots: Array<PageRow | Row> = [
    { name: 'bare', scenario: 'bare Fastify, one short route (ceiling)', server: bare, target: bareRoot(bare.url) },
    { name: 'same-bytes', scenario: "bare Fastify sending (1)'s exact headers and body, no work", server: bare, target: { url: `${bare.url}/page` } },
  ];
  if (runs('signed-in')) slots.push({ name: 'signed-in', scenario: SIGNED_IN, server: app, target: home, targetCpuUs: TARGET_CPU_US.sqlite });
  if (runs('metrics')) slots.push(await metricsSlot(start, fixture, logFile, takeAccount()));
  for (const part of ['postgres', 'postgres-redis'] as const) if (runs(part)) slots.push(await backendSlot(part));
  if (runs('anonymous')) slots.push({ name: 'anonymous', scenario: '(2) protected page, no session (303)', server: app, target: anonymousHome(app.url) });
  const pageRows = slots.filter((slot): slot is PageRow => 'server' in slot);
  const measured = await measureInRounds(pageRows, rounds, settings, log);
  const rows = slots.map((slot) => ('server' in slot ? roundsRow(slot, measured[pageRows.indexOf(slot)], measured[1]) : slot));
  noteMetricsCost(rows, pageRows, measured);
  rssMiB.afterPageRows = await rss(app);
  for (const row of profileDir ? pageRows : []) {
    log(`profiling ${row.scenario}`);
    await profiled(row.name, row.server, () => measure({ ...settings, warmupS: 0 }, row.server, row.target));
  }
  for (const server of servers) if (server !== app && server !== bare) await server.stop();
  const sameBytesCpuUs = rows[1].result?.cpuUsPerRequest;
  const homeRps = rows.find((row) => row.scenario === SIGNED_IN)?.result?.requestsPerSecond ?? 0;

  let homeP99DuringPasswordStep;
  if (runs('password')) {
    const password = passwordStep(app.url, await fetchCsrfPair(app.url), takeAccount);
    log('(3) password step');
    const alone = await profiled('password', app, () => measure(settings, app, password));
    rows.push(onceRow('(3) password step (argon2id + Verify start)', alone));
    // A quarter of the page's measured capacity: the server has time to spare, so the p99 shows
    // waiting for the event loop (or a core), not a queue of our own making.
    const ratePerS = pacedRate ?? (homeRps ? Math.max(100, Math.round(homeRps / 4 / 100) * 100) : 1000);
    log(`(3) protected page at ${ratePerS} req/s, alone then during the password step`);
    const { idle, underLoad, passwordUnderLoad } = await homeWhilePasswordStep(settings, app, home, ratePerS, password);
    const factor = underLoad.p99Ms / idle.p99Ms;
    homeP99DuringPasswordStep = { ratePerS, idleP99Ms: idle.p99Ms, underLoadP99Ms: underLoad.p99Ms, factor };
    rows.push(onceRow(`(3) protected page at ${ratePerS} req/s, idle`, idle), {
      ...onceRow(`(3) protected page at ${ratePerS} req/s, during password step`, underLoad),
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
    rows.push(onceRow('(4) protected page, 100k sessions, random one per request', sessions.randomSessionHome, sameBytesCpuUs));
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
    settings: { ...settings, rounds, rewarmS: Math.min(settings.warmupS, REWARM_S), appThreadPoolSize },
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
  for (const server of servers) await server.stop();
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

async function rss(server: BenchServer): Promise<number> {
  return Math.round((await server.stats(true)).rss / 2 ** 20);
}

function profiled<T>(name: string, server: BenchServer, during: () => Promise<T>): Promise<T> {
  if (!profileDir) return during();
  mkdirSync(profileDir, { recursive: true });
  return server.profile(join(profileDir, `${name}.cpuprofile`), during);
}

/** Row (1) on PostgreSQL or PostgreSQL + Redis: its app server started and signed in, or why not. */
async function backendSlot(part: BackendPart): Promise<PageRow | Row> {
  const names = backendNames(part);
  const scenario = `(1) protected page, signed in, ${names}`;
  const targetCpuUs = part === 'postgres-redis' ? TARGET_CPU_US.postgresRedis : undefined;
  log(`starting the app on ${names}`);
  const started = await startBackendApp(part, { fixture, backends, logFile, takeAccount });
  if ('skipped' in started) return { scenario, note: `skipped (${started.skipped})`, targetCpuUs };
  servers.push(started.server);
  Object.assign(versions, started.versions);
  setCookies[`GET / signed in, ${names}`] = (await probe(`${started.server.url}/`, started.cookie)).setCookies;
  return { name: part, scenario, server: started.server, target: signedInHome(started.server.url, started.cookie), targetCpuUs };
}

/** Drops the bench database and Redis keys; says what is left if that fails (never throws). */
async function removeBackends(): Promise<void> {
  const left = await backends.cleanup();
  for (const what of left) console.warn(`[bench] could not remove ${what}: remove it by hand`);
}
