// One autocannon run, with latencies kept at full precision: autocannon's own histogram records
// whole milliseconds, too coarse for sub-millisecond pages, so every response time is collected
// from its `response` events instead.
import autocannon from 'autocannon';
import type { RequestSpec } from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  /** Requests per second over all connections; unlimited (as fast as answered) when unset. */
  overallRate?: number;
  headers?: Record<string, string>;
  requests?: RequestSpec[];
}

export interface LoadResult {
  responses: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Count per status code, plus `errors` and `timeouts` when any. */
  statuses: Record<string, number>;
  /**
   * CPU time the server process used per response (µs, all its threads). Unlike req/s it hardly
   * moves when something else on the machine competes for the cores.
   */
  cpuUsPerRequest?: number;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    overallRate: options.overallRate,
    headers: options.headers,
    requests: options.requests,
    timeout: 30,
  });
  const times: number[] = [];
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => void times.push(ms));
  const result = await instance;
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = count;
  if (result.errors) statuses.errors = result.errors;
  if (result.timeouts) statuses.timeouts = result.timeouts;
  times.sort((a, b) => a - b);
  return {
    responses: times.length,
    requestsPerSecond: times.length / result.duration,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    statuses,
  };
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
