// `node bench/metrics-hot-path.ts`: what the metrics add to each request, alone. The page rows cannot
// resolve a microsecond on a shared machine (their rounds move by tens), so this times the work
// itself: a route's onResponse hook (one latency observation and one status count, children resolved
// once, as metrics-plugin.ts adds it) and the app-wide not-found check, 200,000 requests per batch,
// the median of 25 batches. Fastify's own cost of running an onResponse hook comes on top.
import { createSignInMetrics } from '../src/metrics/signin-metrics.ts';

const metrics = createSignInMetrics();
const observe = metrics.routeObserver('GET', '/');
const reply = { statusCode: 200, elapsedTime: 0 };
const request = { is404: false };
const done = () => {};
const routeHook = (_request: unknown, r: typeof reply, next: () => void) => {
  observe(r.statusCode, r.elapsedTime);
  next();
};
const notFoundHook = (q: typeof request, _reply: unknown, next: () => void) => {
  if (q.is404) throw new Error('not measured here');
  next();
};

const PER_BATCH = 200_000;
const batches: number[] = [];
for (let batch = 0; batch < 25; batch++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_BATCH; i++) {
    reply.elapsedTime = 0.5 + (i & 7) * 0.1; // spread over a few buckets, as pages are
    routeHook(request, reply, done);
    notFoundHook(request, reply, done);
  }
  batches.push(Number(process.hrtime.bigint() - start) / PER_BATCH);
}
batches.sort((a, b) => a - b);
console.log(`metrics per request: median ${(batches[12] / 1000).toFixed(2)} µs (batches ${(batches[0] / 1000).toFixed(2)}–${(batches[24] / 1000).toFixed(2)} µs)`);
