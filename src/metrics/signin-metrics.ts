// Every metric the app exposes, in one registry of its own (several apps in one process, as in the
// tests, never share counters). Label values are bounded and never name a person: a step, a budget,
// a backend, a channel, a calling code, a route pattern, a status; never an email, phone, address
// or ID. Children are resolved once and kept, so counting costs a call, not a label lookup.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LIMITS } from '../state/limits.ts';
import type { LimitName } from '../state/limits.ts';
import { droppedLogLines } from '../http/log-destination.ts';

export type Backend = 'database' | 'redis' | 'verify' | 'unknown';

/** A counter child: prom-client's `labels(...)` result, kept. */
type Child = { inc(value?: number): void };

/** Pages take from 1 ms (a signed-in page) to seconds (argon2 and a Verify call, up to its timeout). */
const PAGE_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface SignInMetrics {
  readonly registry: Registry;
  /** A Verify request started (a code went out) by its first channel, to a phone with this calling code. */
  verifyStarted(channel: string, callingCode: string): void;
  /** A Verify request moved to its next delivery. */
  verifyResent(channel: string): void;
  verifyFailed(operation: 'start' | 'check' | 'resend' | 'cancel', failure: string): void;
  signInOutcome(step: string, outcome: string): void;
  /** A request refused by a budget: answered 429. */
  throttled(budget: LimitName): void;
  /** A page answered 503 because this backend did not answer. */
  unavailable(backend: Backend): void;
  /** For one route pattern and method: records a response's status and latency (ms). */
  routeObserver(method: string, route: string): (status: number, elapsedMs: number) => void;
}

function cachedChildren(counter: Counter<string>): (...values: string[]) => Child {
  const children = new Map<string, Child>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = counter.labels(...values)));
    return child;
  };
}

export function createSignInMetrics(): SignInMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers });
  const verifyStarts = cachedChildren(
    counter('signin_verify_starts_total', 'Verify requests started (codes sent), by first channel and the phone\'s calling code', ['channel', 'calling_code']),
  );
  const verifyResends = cachedChildren(counter('signin_verify_resends_total', 'Verify requests moved to their next delivery, by channel', ['channel']));
  const verifyFailures = cachedChildren(counter('signin_verify_failures_total', 'Verify calls that failed, by operation and failure kind', ['operation', 'failure']));
  const outcomes = cachedChildren(counter('signin_outcomes_total', 'Sign-in steps by outcome (from the audit events)', ['step', 'outcome']));
  const throttled = cachedChildren(counter('signin_throttled_total', 'Requests refused by a budget (answered 429), by budget', ['budget']));
  const unavailable = cachedChildren(counter('signin_unavailable_total', 'Pages answered 503 because a backend did not answer, by backend', ['backend']));
  const responses = new Counter({
    name: 'signin_http_responses_total',
    help: 'Responses by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const duration = new Histogram({
    name: 'signin_http_request_duration_seconds',
    help: 'Time from a request\'s arrival to its response\'s end, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: PAGE_SECONDS_BUCKETS,
    registers,
  });
  let droppedSeen = 0;
  new Counter({
    name: 'signin_log_lines_dropped_total',
    help: 'Log lines dropped because the stdout reader fell more than 4 MiB behind',
    registers,
    collect() {
      const dropped = droppedLogLines();
      if (dropped > droppedSeen) this.inc(dropped - droppedSeen);
      droppedSeen = dropped;
    },
  });

  // Series that exist from the start read 0, not absent, so rates and alerts work before the first event.
  for (const budget of Object.keys(LIMITS)) throttled(budget).inc(0);
  for (const backend of ['database', 'redis', 'verify']) unavailable(backend).inc(0);

  return {
    registry,
    verifyStarted: (channel, callingCode) => verifyStarts(channel, callingCode).inc(),
    verifyResent: (channel) => verifyResends(channel).inc(),
    verifyFailed: (operation, failure) => verifyFailures(operation, failure).inc(),
    signInOutcome: (step, outcome) => outcomes(step, outcome).inc(),
    throttled: (budget) => throttled(budget).inc(),
    unavailable: (backend) => unavailable(backend).inc(),
    routeObserver(method, route) {
      const latency = duration.labels(method, route);
      const byStatus = new Map<number, Child>();
      return (status, elapsedMs) => {
        latency.observe(elapsedMs / 1000);
        let child = byStatus.get(status);
        if (child === undefined) byStatus.set(status, (child = responses.labels(method, route, String(status))));
        child.inc();
      };
    },
  };
}
