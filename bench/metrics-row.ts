// Row (1) again with METRICS_PORT set (issue 17.5): the same signed-in page on the same SQLite file,
// from a second app server whose only difference is the metrics (a latency observation and a
// status count per request). It runs in the rounds right after row (1), so each round's pair is
// measured seconds apart, and its note gives the metrics' cost: the median over the rounds of its
// server CPU per request minus row (1)'s.
import type { Fixture } from './fixture.ts';
import type { LoadResult } from './load.ts';
import type { Row } from './report.ts';
import { median } from './rounds.ts';
import type { PageRow } from './rounds.ts';
import { signedInHome } from './scenarios.ts';
import type { BenchServer, StartOptions } from './servers.ts';
import { signInOnce } from './signin-flow.ts';

export const METRICS_ROW = '(1) protected page, signed in, SQLite store, metrics on (METRICS_PORT)';

export async function metricsSlot(
  start: (script: string, options: StartOptions) => Promise<BenchServer>,
  fixture: Fixture,
  logFile: string,
  account: number,
): Promise<PageRow> {
  // Port 0: a free port of the OS's choosing, never the app's.
  const server = await start('./app-server.ts', { env: { ...fixture.appEnv, REDIS_URL: '', METRICS_PORT: '0' }, logFile });
  const cookie = await signInOnce(server.url, fixture.sim, account);
  return { name: 'metrics', scenario: METRICS_ROW, server, target: signedInHome(server.url, cookie) };
}

/** Adds to the metrics row's note what metrics cost per request over row (1), round by round. */
export function noteMetricsCost(rows: Row[], pageRows: PageRow[], measured: LoadResult[][]): void {
  const on = pageRows.findIndex((row) => row.name === 'metrics');
  const off = pageRows.findIndex((row) => row.name === 'signed-in');
  const row = rows.find((r) => r.scenario === METRICS_ROW);
  if (on < 0 || off < 0 || !row) return;
  const cpu = (r: LoadResult) => r.cpuUsPerRequest ?? NaN;
  const differences = measured[on].map((r, round) => cpu(r) - cpu(measured[off][round]));
  const signed = (us: number) => `${us >= 0 ? '+' : ''}${us.toFixed(1)}`;
  row.note = `metrics ${signed(median(differences))} µs/req over (1) (rounds: ${differences.map(signed).join(', ')}); ${row.note}`;
}
