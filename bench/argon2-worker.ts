// Child process: argon2id verifications kept `inFlight` at a time for `durationMs`, on this
// process's libuv pool (UV_THREADPOOL_SIZE is read once, when the pool starts), at the shipped
// parameters or at the JSON ones given. Reports verifications per second, ms per verification,
// and how late a timer fires meanwhile (event-loop delay).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import argon2 from 'argon2';
import type { HashOptions } from 'argon2';
import { PASSWORD_HASH_OPTIONS } from '../src/accounts/passwords.ts';

const inFlight = Number(process.argv[2]);
const durationMs = Number(process.argv[3]);
const params: HashOptions = process.argv[4] ? { ...PASSWORD_HASH_OPTIONS, ...JSON.parse(process.argv[4]) } : PASSWORD_HASH_OPTIONS;
const PROBE = 'argon2 cost probe';
const hash = await argon2.hash(PROBE, params);
const delay = monitorEventLoopDelay({ resolution: 1 });

let done = 0;
let totalMs = 0;
const stopAt = performance.now() + durationMs;
delay.enable();
const started = performance.now();
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      await argon2.verify(hash, PROBE);
      totalMs += performance.now() - t0;
      done += 1;
    }
  }),
);
const elapsedS = (performance.now() - started) / 1000;
delay.disable();
process.send?.({
  perSecond: done / elapsedS,
  msPerHash: totalMs / done,
  loopDelayP99Ms: delay.percentile(99) / 1e6,
});
