// A client that stalls gets 408 and a closed connection; a slow handler does not.
import { connect } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_TIMEOUTS, serverTimeouts } from '../../src/http/server-timeouts.ts';
import { startTestApp } from '../helpers/test-app.ts';

// Small enough to keep the waits short, large enough that a prompt request on a loaded machine fits.
const SMALL = { requestTimeout: 400, headersTimeout: 200, connectionsCheckingInterval: 50 };
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function listening(overrides = SMALL): Promise<number> {
  const app = Fastify(serverTimeouts(overrides));
  apps.push(app);
  await app.register(formbody);
  app.post('/', async (request) => request.body);
  app.post('/slow', async () => {
    await new Promise((r) => setTimeout(r, 600)); // longer than requestTimeout
    return 'done';
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as { port: number }).port;
}

/** Writes `text` and never finishes; resolves with what came back and when the server closed. */
function stall(port: number, text: string): Promise<{ response: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (response += chunk));
    socket.on('close', () => resolve({ response, ms: Date.now() - started }));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(new Error(`still open after 4 s; got: ${response}`)), 4000).unref();
  });
}

describe('server timeouts', () => {
  it('a body that stops arriving gets 408 and the connection closed after requestTimeout', async () => {
    const port = await listening();
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n';
    const { response, ms } = await stall(port, head + 'a=12345678');
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(2000);
  });

  it('headers that stop arriving get 408 after headersTimeout', async () => {
    const port = await listening();
    const { response, ms } = await stall(port, 'POST / HTTP/1.1\r\nHost: x\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(1200);
  });

  it('a slow handler is not cut off: the limit is on receiving the request', async () => {
    const port = await listening();
    const res = await fetch(`http://127.0.0.1:${port}/slow`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('done');
  });

  it('a request sent promptly is answered', async () => {
    const port = await listening();
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(await res.json()).toEqual({ a: '1' });
  });

  it('defaults: 30 s per request, 10 s for headers, checked every second; keep-alive outlasts a 60 s proxy', () => {
    const app = Fastify(serverTimeouts());
    apps.push(app);
    expect(app.server.requestTimeout).toBe(30_000);
    expect(app.server.headersTimeout).toBe(10_000);
    expect(app.server.keepAliveTimeout).toBeGreaterThan(60_000);
    expect(serverTimeouts().http.connectionsCheckingInterval).toBe(DEFAULT_SERVER_TIMEOUTS.connectionsCheckingInterval);
  });

  it('the app buildApp makes carries the defaults', async () => {
    const t = await startTestApp({ api: 'v2' });
    try {
      expect(t.app.server.requestTimeout).toBe(DEFAULT_SERVER_TIMEOUTS.requestTimeout);
      expect(t.app.server.headersTimeout).toBe(DEFAULT_SERVER_TIMEOUTS.headersTimeout);
      expect(t.app.server.keepAliveTimeout).toBe(DEFAULT_SERVER_TIMEOUTS.keepAliveTimeout);
    } finally {
      await t.close();
    }
  });

  it('caps headersTimeout at requestTimeout, which Node requires', () => {
    const app = Fastify(serverTimeouts({ requestTimeout: 2000, headersTimeout: 5000 }));
    apps.push(app);
    expect(app.server.headersTimeout).toBe(2000);
  });
});
