// The real server process with METRICS_PORT: /metrics answers on its own port from the start,
// never on the app's, and goes away with the server on SIGTERM; a metrics port already taken stops
// the start with one line naming METRICS_PORT.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, startServer } from '../helpers/server-process.ts';

describe('npm start with METRICS_PORT', () => {
  it('serves /metrics on its own port while the server runs, and closes it on SIGTERM', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const server = startServer({ PORT: String(port), METRICS_PORT: String(metricsPort) });
    await server.waitFor(/Server listening/);
    expect(server.output().stdout).toContain(`metrics at http://127.0.0.1:${metricsPort}/metrics`);

    expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^signin_http_responses_total\{method="GET",route="\/login",status="200"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
  });

  it('refuses to start when the metrics port is taken, naming METRICS_PORT', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    try {
      const metricsPort = (taken.address() as { port: number }).port;
      const server = startServer({ PORT: String(await freePort()), METRICS_PORT: String(metricsPort) });
      expect(await server.exited).toBe(1);
      expect(server.output().stderr).toContain(`Could not start: METRICS_PORT: cannot listen on 127.0.0.1:${metricsPort} (EADDRINUSE)`);
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });
});
