// Metrics for the whole app when METRICS_PORT is set: each route's latency and statuses (its
// counters resolved once, when the route is added), 503s from a backend outage, and the listener
// that serves them, started when the app is ready and closed with it. Without METRICS_PORT this
// adds nothing: no hook runs on any request.
import fp from 'fastify-plugin';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { BackendUnavailableError, isBackendUnavailable } from '../storage/unavailable.ts';
import type { MetricsListen } from './metrics-config.ts';
import { createSignInMetrics } from './signin-metrics.ts';
import type { Backend, SignInMetrics } from './signin-metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import type { MetricsServer } from './metrics-server.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined without METRICS_PORT. */
    metrics: SignInMetrics | undefined;
    /** Where `GET /metrics` listens, once the app is ready (undefined without METRICS_PORT). */
    metricsAddress(): { host: string; port: number } | undefined;
  }
}

/** The route label of requests that matched no route (every unknown URL shares it). */
const UNMATCHED = '(unmatched)';

async function metricsPlugin(app: FastifyInstance, { listen }: { listen?: MetricsListen }): Promise<void> {
  const metrics = listen ? createSignInMetrics() : undefined;
  let server: MetricsServer | undefined;
  app.decorate('metrics', metrics);
  app.decorate('metricsAddress', () => (server ? { host: server.address.address, port: server.address.port } : undefined));
  if (!listen || !metrics) return;

  app.addHook('onRoute', (route) => {
    const observer = routeObserver(metrics, [route.method].flat(), route.url);
    route.onResponse = [route.onResponse ?? []].flat().concat(observer);
  });
  // The not-found handler is no route: it gets the app's own hooks, so this one checks first.
  const unmatched = new Map<string, ReturnType<SignInMetrics['routeObserver']>>();
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      let observe = unmatched.get(request.method);
      if (observe === undefined) unmatched.set(request.method, (observe = metrics.routeObserver(request.method, UNMATCHED)));
      observe(reply.statusCode, reply.elapsedTime);
    }
    done();
  });
  // The error pages answer these 503 (error-pages.ts): count them by the backend that failed.
  app.addHook('onError', (_request, _reply, error, done) => {
    if (isBackendUnavailable(error)) metrics.unavailable(backendOf(error));
    done();
  });

  app.addHook('onReady', async () => {
    server = await startMetricsServer(metrics.registry, listen, (error) => app.log.error({ err: error.message }, 'metrics collection failed'));
    app.log.info(`metrics at http://${listen.host}:${server.address.port}/metrics`);
  });
  app.addHook('onClose', async () => server?.close());
}

function routeObserver(metrics: SignInMetrics, methods: string[], url: string): onResponseHookHandler {
  if (methods.length === 1) {
    const observe = metrics.routeObserver(methods[0], url);
    return (_request, reply, done) => {
      observe(reply.statusCode, reply.elapsedTime);
      done();
    };
  }
  const byMethod = new Map(methods.map((method) => [method, metrics.routeObserver(method, url)]));
  return (request, reply, done) => {
    byMethod.get(request.method)?.(reply.statusCode, reply.elapsedTime);
    done();
  };
}

/** The backend named by the error or one of its causes; pools and clients wrap what they raise. */
function backendOf(error: unknown): Backend {
  for (let e = error; e instanceof Error; e = e.cause === e ? undefined : e.cause) {
    if (e instanceof BackendUnavailableError) return e.backend;
  }
  return 'unknown';
}

export default fp(metricsPlugin, { name: 'metrics' });
