// What one password check costs at the shipped parameters (and at two stronger sets, for the
// choice), and how the libuv pool size trades throughput against event-loop delay on this
// machine. Each measurement runs in its own process: libuv reads UV_THREADPOOL_SIZE once.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { PASSWORD_HASH_OPTIONS } from '../src/accounts/passwords.ts';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PoolMeasurement {
  threadPoolSize: number;
  /** Verifications kept in flight (twice the pool, so the pool never idles). */
  inFlight: number;
  perSecond: number;
  msPerHash: number;
  loopDelayP99Ms: number;
}

export interface Argon2Cost {
  /** One verification at a time: the cost a single user sees on an idle server. */
  alone: Array<{ label: string; params: Argon2Params; msPerHash: number }>;
  /** At the shipped parameters. */
  pools: PoolMeasurement[];
}

const SHIPPED: Argon2Params = {
  memoryCost: PASSWORD_HASH_OPTIONS.memoryCost,
  timeCost: PASSWORD_HASH_OPTIONS.timeCost,
  parallelism: PASSWORD_HASH_OPTIONS.parallelism,
};
const ALTERNATIVES: Array<{ label: string; params: Argon2Params }> = [
  { label: 'shipped (OWASP minimum)', params: SHIPPED },
  { label: 'OWASP, more memory', params: { memoryCost: 47104, timeCost: 1, parallelism: 1 } },
  { label: 'argon2 library default', params: { memoryCost: 65536, timeCost: 3, parallelism: 4 } },
];

export async function measureArgon2(durationMs: number): Promise<Argon2Cost> {
  const alone = [];
  for (const { label, params } of ALTERNATIVES) {
    alone.push({ label, params, msPerHash: (await runWorker(4, 1, durationMs / 2, params)).msPerHash });
  }
  const pools: PoolMeasurement[] = [];
  const sizes = [...new Set([1, 2, availableParallelism(), 4])].sort((a, b) => a - b);
  for (const size of sizes) {
    pools.push({ threadPoolSize: size, inFlight: 2 * size, ...(await runWorker(size, 2 * size, durationMs)) });
  }
  return { alone, pools };
}

type WorkerResult = Omit<PoolMeasurement, 'threadPoolSize' | 'inFlight'>;

async function runWorker(poolSize: number, inFlight: number, durationMs: number, params?: Argon2Params): Promise<WorkerResult> {
  const args = [String(inFlight), String(durationMs), ...(params ? [JSON.stringify(params)] : [])];
  const child = fork(new URL('./argon2-worker.ts', import.meta.url), args, {
    env: { ...process.env, UV_THREADPOOL_SIZE: String(poolSize) },
  });
  const exited = once(child, 'exit');
  const [message] = (await once(child, 'message')) as [WorkerResult];
  await exited;
  return message;
}
