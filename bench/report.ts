// The table printed at the end of `npm run bench`, and bench/results.json.
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { LoadResult } from './load.ts';
import type { Argon2Cost } from './argon2-cost.ts';
import type { SessionsAtScale } from './sessions-at-scale.ts';

export interface Row {
  scenario: string;
  /** Its numbers; for a page row, each figure's median over the rounds (responses and statuses summed). */
  result?: LoadResult;
  /** A page row's own measurement in each round, in round order. */
  rounds?: LoadResult[];
  /**
   * Server CPU per request over the same-bytes row's (rows at full speed only); for a page row the
   * median of the per-round ratios.
   */
  cpuRatioToSameBytes?: number;
  /** The issue's bound on this row's median server CPU µs per request. */
  targetCpuUs?: number;
  note: string;
}

export interface BenchResults {
  machine: ReturnType<typeof machineInfo>;
  settings: {
    connections: number;
    /** Per row and round. */
    durationS: number;
    /** Before a page row's first round, and before each one-off row. */
    warmupS: number;
    /** Alternating rounds of the page rows. */
    rounds: number;
    /** Before a page row's later rounds. */
    rewarmS: number;
    appThreadPoolSize: string;
  };
  rows: Row[];
  /** Server versions of the backends the PostgreSQL rows ran on, when they ran. */
  backends?: Record<string, string>;
  homeP99DuringPasswordStep?: { ratePerS: number; idleP99Ms: number; underLoadP99Ms: number; factor: number };
  /** The app server's resident memory (after a full GC) at points of the run. */
  rssMiB: Record<string, number>;
  sessions?: SessionsAtScale;
  argon2?: Argon2Cost;
  /** Cookies each page sets, checked once before its load: the signed-in page should set none. */
  setCookies: Record<string, string[]>;
}

export function machineInfo() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

const fixed = (n: number | undefined, digits: number) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));

export function markdownTable(results: BenchResults): string {
  const lines = [
    '| scenario | req/s | p50 ms | p99 ms | server CPU µs/req (min–max) | CPU × same bytes | target | notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const row of results.rows) {
    const r = row.result;
    lines.push(
      `| ${row.scenario} | ${r ? Math.round(r.requestsPerSecond) : '–'} | ${fixed(r?.p50Ms, 2)} | ${fixed(r?.p99Ms, 2)} | ${cpuCell(row)} | ` +
        `${fixed(row.cpuRatioToSameBytes, 2)} | ${targetCell(row)} | ${row.note} |`,
    );
  }
  const { machine, settings } = results;
  lines.push(
    '',
    `Page rows: ${settings.rounds} alternating round${settings.rounds === 1 ? '' : 's'}, each figure the median over them, server CPU with its min–max; ` +
      `CPU × same bytes: server CPU per request over the same-bytes row's (per round, median). Later rows: measured once.`,
    '',
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; ` +
      `${settings.connections} connections, ${settings.durationS} s per row and round after ${settings.warmupS} s warm-up ` +
      `(${settings.rewarmS} s in later rounds); ` +
      `app UV_THREADPOOL_SIZE ${settings.appThreadPoolSize}; ` +
      (results.backends ? `${Object.entries(results.backends).map(([name, version]) => `${name} ${version}`).join(', ')} on this machine; ` : '') +
      machine.date,
    '',
    `App RSS (MiB, after a full GC): ${Object.entries(results.rssMiB).map(([when, mib]) => `${when} ${mib}`).join(', ')}. ` +
      `Set-Cookie names on GET /: ${Object.entries(results.setCookies).map(([k, v]) => `${k}: ${v.join(', ') || 'none'}`).join('; ')}.`,
  );
  const s = results.sessions;
  if (s) {
    lines.push(
      '',
      `Sessions: ${s.sessions.toLocaleString('en')} rows; a signed-in session stores ${s.dataBytesPerSession} bytes of JSON ` +
        `(${s.rowBytesPerSession} bytes with its ID and expiry); table ${fixed(s.tableMiB, 1)} MiB + expiry index ` +
        `${fixed(s.indexMiB, 1)} MiB = ${Math.round(s.tableBytesPerSession)} bytes per row on disk. ` +
        `Server RSS ${fixed(s.rssBeforeMiB, 0)} MiB before, ${fixed(s.rssAfterMiB, 0)} MiB after serving them.`,
    );
  }
  const a = results.argon2;
  if (a) {
    lines.push(
      '',
      '| argon2id, one verification at a time | m KiB | t | p | ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...a.alone.map((x) => `| ${x.label} | ${x.params.memoryCost} | ${x.params.timeCost} | ${x.params.parallelism} | ${fixed(x.msPerHash, 1)} |`),
      '',
      '| UV_THREADPOOL_SIZE (shipped params) | in flight | verifications/s | ms each | event-loop delay p99 ms |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...a.pools.map(
        (p) => `| ${p.threadPoolSize} | ${p.inFlight} | ${fixed(p.perSecond, 1)} | ${fixed(p.msPerHash, 1)} | ${fixed(p.loopDelayP99Ms, 2)} |`,
      ),
    );
  }
  return lines.join('\n');
}

function cpuCell(row: Row): string {
  const median = fixed(row.result?.cpuUsPerRequest, 0);
  const cpus = (row.rounds ?? []).map((r) => r.cpuUsPerRequest ?? NaN);
  return cpus.length > 1 ? `${median} (${fixed(Math.min(...cpus), 0)}–${fixed(Math.max(...cpus), 0)})` : median;
}

/** "≤ 75: met" when the row's median server CPU per request is within its target. */
function targetCell(row: Row): string {
  if (row.targetCpuUs === undefined) return '';
  const cpu = row.result?.cpuUsPerRequest;
  // As shown: a median shown as 75 meets ≤ 75.
  const verdict = cpu === undefined || Number.isNaN(cpu) ? 'not measured' : Math.round(cpu) <= row.targetCpuUs ? 'met' : 'not met';
  return `≤ ${row.targetCpuUs}: ${verdict}`;
}

export function writeResults(path: string | URL, results: BenchResults): void {
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
}
