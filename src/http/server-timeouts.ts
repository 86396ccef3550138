// How long a client may take to send a request, as Fastify constructor options:
// `Fastify({ ...serverTimeouts(options.serverTimeouts), logger: … })`.
//
// Without these, Fastify (requestTimeout 0) lets a client hold a connection open forever by
// sending a body slowly or never finishing it. Node enforces headersTimeout and requestTimeout by
// sweeping its connections every `connectionsCheckingInterval` (default 30 s, so a 30 s limit could
// take 60 s to bite); the sweep is cheap, so it runs every second. A timed-out request gets 408 and
// the connection is closed. The clocks stop once the request is received: a slow handler (a Verify
// call, argon2) is not cut off.
import type { ServerOptions } from 'node:http';

export interface ServerTimeouts {
  /** Longest time to receive a whole request, headers and body. */
  requestTimeout: number;
  /** Longest time to receive the headers (capped at requestTimeout, as Node requires). */
  headersTimeout: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeout: number;
  /** How often Node checks the two limits above. */
  connectionsCheckingInterval: number;
}

export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = {
  requestTimeout: 30_000,
  headersTimeout: 10_000,
  // Longer than the 60 s idle timeout of common proxies and load balancers (nginx upstream
  // keepalive, AWS ALB): if the app closed first, a proxy could send a POST on a dying connection
  // and answer 502. Fastify's own default, for the same reason.
  keepAliveTimeout: 72_000,
  connectionsCheckingInterval: 1_000,
};

export interface ServerTimeoutOptions {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
}

export function serverTimeouts(overrides: Partial<ServerTimeouts> = {}): ServerTimeoutOptions {
  const t = { ...DEFAULT_SERVER_TIMEOUTS, ...overrides };
  const headersTimeout = Math.min(t.headersTimeout, t.requestTimeout);
  return {
    // Fastify sets these two on the server after creating it (its defaults would override `http`).
    requestTimeout: t.requestTimeout,
    keepAliveTimeout: t.keepAliveTimeout,
    // Passed to http.createServer: the only way to set the checking interval.
    http: {
      requestTimeout: t.requestTimeout,
      headersTimeout,
      keepAliveTimeout: t.keepAliveTimeout,
      connectionsCheckingInterval: t.connectionsCheckingInterval,
    },
  };
}
