// In production, a request that reached the proxy over plain HTTP (X-Forwarded-Proto: http) is
// sent to the same path on PUBLIC_ORIGIN (GET, HEAD) or refused with a 400 page saying HTTPS is
// required: never a sign-in form whose Secure cookie the browser would drop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, createTestClient, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const HTTP = { 'x-forwarded-proto': 'http' };
const HTTPS = { 'x-forwarded-proto': 'https' };

describe('production over plain HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it('a GET or HEAD is redirected to the same path and query on PUBLIC_ORIGIN, whatever the Host header says', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await t.app.inject({ method, url: '/login/code?from=sms', headers: { ...HTTP, host: 'evil.example' } });
      expect(res.statusCode).toBe(301);
      expect(res.headers.location).toBe('https://app.example.com/login/code?from=sms');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('a form posted over plain HTTP gets a 400 page saying HTTPS is required, and no code goes out', async () => {
    const c = createTestClient(t.app, HTTPS);
    await c.get('/login');
    const res = await c.post('/login', { email: ALICE.email, password: ALICE.password }, HTTP);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('HTTPS is required');
    expect(res.body).toContain('href="https://app.example.com/login"');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(t.sim.lastCode(ALICE.phone)).toBeUndefined();
    expect(t.logs.filter((line) => line.includes('production request over plain HTTP'))).toHaveLength(1);
  });

  it('over HTTPS the pages are served as always, and the health check answers probes over plain HTTP', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/login', headers: HTTPS })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/healthz', headers: HTTP })).statusCode).toBe(200);
  });
});
