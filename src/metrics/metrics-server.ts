// The metrics listener: `GET /metrics` (Prometheus text) on a port of its own, nothing else. A
// plain node:http server: one route needs no framework, and nothing of the app's (sessions, CSRF,
// headers for browsers) belongs on it.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { MetricsListen } from './metrics-config.ts';

export interface MetricsServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Registry, { host, port }: MetricsListen, onError: (error: Error) => void): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') return answer(response, 404, 'Not found: metrics are at /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return answer(response, 405, 'Method not allowed\n');
    }
    registry.metrics().then(
      (body) => answer(response, 200, body, registry.contentType),
      (error: Error) => {
        onError(error);
        answer(response, 500, 'Metrics could not be collected\n');
      },
    );
  });
  // A scraper that stalls gets a short deadline: it must not hold a connection (or the shutdown).
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`METRICS_PORT: cannot listen on ${host}:${port} (${error.code ?? error.message})`)));
    server.listen({ host, port }, resolve);
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's idle keep-alive connection would hold the close for its whole timeout.
        server.closeAllConnections();
      }),
  };
}

function answer(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
