// The server's start with METRICS_PORT (src/server.ts's startServer, in this process): /metrics
// answers on its own port from the start, never on the app's, and goes away when the server
// closes (a SIGTERM closes it: test/processes/server.test.ts); a metrics port already taken stops the start
// with one line naming METRICS_PORT.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startInProcess } from '../helpers/started-server.ts';
import { useTempDir } from '../helpers/temp-dir.ts';

const tempDir = useTempDir();

describe('npm start with METRICS_PORT', () => {
  it('serves /metrics on its own port while the server runs, and closes it with the server', async () => {
    const { result, log } = await startInProcess(tempDir(), { METRICS_PORT: '0' });
    if (!('app' in result)) throw new Error('the server did not start');
    const { app } = result;
    const port = app.server.address() as { port: number };
    const metricsPort = app.metricsAddress()?.port;
    expect(log()).toContain(`metrics at http://127.0.0.1:${metricsPort}/metrics`);

    expect((await fetch(`http://127.0.0.1:${port.port}/login`)).status).toBe(200);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^signin_http_responses_total\{method="GET",route="\/login",status="200"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${port.port}/metrics`)).status).toBe(404);

    await app.close();
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
  });

  it('refuses to start when the metrics port is taken, naming METRICS_PORT', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    try {
      const metricsPort = (taken.address() as { port: number }).port;
      const { result, stderr } = await startInProcess(tempDir(), { METRICS_PORT: String(metricsPort) });
      expect(result).toEqual({ failed: true });
      expect(stderr()).toBe(`Could not start: METRICS_PORT: cannot listen on 127.0.0.1:${metricsPort} (EADDRINUSE)\n`);
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });
});
