// The page rows, measured in alternating rounds: round 1 runs every row once, in table order
// (bare, same bytes, signed in on SQLite, on PostgreSQL, on PostgreSQL + Redis, anonymous), round 2
// the same again, and so on, so the machine's drift (clock speed, a neighbour, the other
// processes) hits every row alike. All their servers stay up for all the rounds. A row warms up for
// the full warm-up before its first round and for at most REWARM_S before each later one (the
// PostgreSQL apps' pools close idle connections in between). Its figures are then the medians over
// the rounds, and its server CPU is also compared with the same-bytes row's round by round.
import { measure } from './scenarios.ts';
import type { LoadSettings, Target } from './scenarios.ts';
import type { LoadResult } from './load.ts';
import type { BenchServer } from './servers.ts';
import type { Row } from './report.ts';

export const REWARM_S = 1;

export interface PageRow {
  /** Its name in log lines and its profile's file name (`DIR/<name>.cpuprofile`). */
  name: string;
  scenario: string;
  server: BenchServer;
  target: Target;
  /** The bound on its median server CPU µs per request, when it has one. */
  targetCpuUs?: number;
}

/** Each row's measurement in each round: `results[row][round]`. */
export async function measureInRounds(
  rows: PageRow[],
  rounds: number,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<LoadResult[][]> {
  const results: LoadResult[][] = rows.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, row] of rows.entries()) {
      log(`round ${round + 1}/${rounds}: ${row.scenario}`);
      const warmupS = round === 0 ? settings.warmupS : Math.min(settings.warmupS, REWARM_S);
      results[i].push(await measure({ ...settings, warmupS }, row.server, row.target));
    }
  }
  return results;
}

/**
 * A page row of the table: each figure's median over the rounds (responses and statuses summed),
 * the rounds themselves, and its server CPU per request over the same-bytes row's (the median of
 * the per-round ratios: each ratio compares two measurements a few seconds apart).
 */
export function roundsRow(row: PageRow, rounds: LoadResult[], sameBytes: LoadResult[]): Row {
  const statuses: Record<string, number> = {};
  for (const r of rounds) for (const [code, count] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + count;
  const result: LoadResult = {
    responses: rounds.reduce((sum, r) => sum + r.responses, 0),
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    statuses,
    cpuUsPerRequest: median(rounds.map(cpu)),
  };
  return {
    scenario: row.scenario,
    result,
    rounds,
    cpuRatioToSameBytes: median(rounds.map((r, i) => cpu(r) / cpu(sameBytes[i]))),
    targetCpuUs: row.targetCpuUs,
    note: statusNote(statuses),
  };
}

/** A one-off row (measured once), compared with the same-bytes row's median CPU when `sameBytesCpuUs` is given. */
export function onceRow(scenario: string, result: LoadResult, sameBytesCpuUs?: number): Row {
  const cpuRatioToSameBytes = sameBytesCpuUs ? cpu(result) / sameBytesCpuUs : undefined;
  return { scenario, result, cpuRatioToSameBytes, note: statusNote(result.statuses) };
}

/** Responses per status code (and errors): anything unexpected is worth seeing beside the numbers. */
export function statusNote(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .map(([code, count]) => `${code}: ${count}`)
    .join(', ');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const cpu = (r: LoadResult) => r.cpuUsPerRequest ?? NaN;
