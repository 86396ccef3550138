// The bench's knobs, read from the environment (bench only):
//
// BENCH_ROUNDS (3): alternating rounds of the page rows (see rounds.ts).
// BENCH_CONNECTIONS (10), BENCH_DURATION s per row and round (5), BENCH_WARMUP s before a page row's
//   first round and before each one-off row (2; at most REWARM_S before a page row's later rounds).
// BENCH_ONLY=signed-in,metrics,postgres,postgres-redis,anonymous,password,sessions,argon2: the parts to run
//   (the bare and same-bytes rows always run).
// BENCH_PROFILE=DIR: a V8 CPU profile of the server of each page row (from one extra run after the
//   rounds, so the profiler's cost stays out of the rounds) and of the password step, written there;
//   read them with `node bench/profile-summary.ts DIR/signed-in.cpuprofile`.
// BENCH_POSTGRES_URL and BENCH_REDIS_URL: see postgres-redis.ts; a row whose server does not answer
//   is reported as skipped.
// BENCH_PACED_RATE req/s: the rate of row (3)'s paced page (default: a quarter of row (1)'s req/s),
//   to compare runs at one rate when the page's own speed has moved.
// The app servers get this process's environment, so `UV_THREADPOOL_SIZE=1 npm run bench` measures
// that pool size.
import type { LoadSettings } from './scenarios.ts';

const env = process.env;

export const settings: LoadSettings = {
  connections: Number(env.BENCH_CONNECTIONS ?? 10),
  durationS: Number(env.BENCH_DURATION ?? 5),
  warmupS: Number(env.BENCH_WARMUP ?? 2),
};

export const rounds = Number(env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a whole number ≥ 1, not ${env.BENCH_ROUNDS}`);

const only = env.BENCH_ONLY?.split(',');
/** Whether BENCH_ONLY lets this part run. */
export const runs = (part: string) => !only || only.includes(part);

export const profileDir = env.BENCH_PROFILE || undefined;

export const pacedRate = env.BENCH_PACED_RATE ? Number(env.BENCH_PACED_RATE) : undefined;
if (pacedRate !== undefined && !(Number.isInteger(pacedRate) && pacedRate > 0)) throw new Error(`BENCH_PACED_RATE must be a whole number > 0, not ${env.BENCH_PACED_RATE}`);
