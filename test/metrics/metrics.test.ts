// METRICS_PORT: Prometheus text at GET /metrics on a listener of its own. A sign-in through the
// Verify simulator, a throttled password, a Verify outage and a database outage are each counted,
// read back over HTTP the way Prometheus scrapes them; the app's own port has no /metrics.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { BackendUnavailableError } from '../../src/storage/unavailable.ts';

const startApp = useTestApps();

async function scrape(t: TestApp): Promise<string> {
  const address = t.app.metricsAddress();
  if (!address) throw new Error('no metrics listener');
  const res = await fetch(`http://127.0.0.1:${address.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series, `name{labels}` exactly as Prometheus text writes it; undefined when absent. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics on METRICS_PORT', () => {
  it('counts a sign-in by step, its Verify start by channel and calling code, and each page by route, on its own port only', async () => {
    const t = await startApp({ api: 'v2', env: { METRICS_PORT: '0' } });
    const c = t.client();
    const done = await c.signIn(t.sim);
    expect(done.statusCode).toBe(303);
    expect((await c.get('/')).statusCode).toBe(200);

    const text = await scrape(t);
    expect(valueOf(text, 'signin_verify_starts_total{channel="sms",calling_code="1"}')).toBe(1);
    expect(valueOf(text, 'signin_outcomes_total{step="password",outcome="ok"}')).toBe(1);
    expect(valueOf(text, 'signin_outcomes_total{step="send",outcome="ok"}')).toBe(1);
    expect(valueOf(text, 'signin_outcomes_total{step="code",outcome="ok"}')).toBe(1);
    expect(valueOf(text, 'signin_http_responses_total{method="POST",route="/login",status="303"}')).toBe(1);
    expect(valueOf(text, 'signin_http_responses_total{method="GET",route="/",status="200"}')).toBe(1);
    expect(valueOf(text, 'signin_http_request_duration_seconds_count{method="GET",route="/"}')).toBe(1);
    expect(valueOf(text, 'signin_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/login/code"}')).toBe(1);
    expect(valueOf(text, 'signin_log_lines_dropped_total')).toBe(0);
    expect(valueOf(text, 'signin_throttled_total{budget="password-account-ip"}')).toBe(0);
    // Node's process defaults
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    // Nothing that names a person or a request: no email, phone digits, address or session
    expect(text).not.toMatch(/alice|example\.com|5555550100|127\.0\.0\.1/i);
    expect(text).not.toContain(t.sim.lastCode(ALICE.phone) as string);

    // The app's port serves pages only.
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    const address = t.app.metricsAddress();
    expect((await fetch(`http://127.0.0.1:${address?.port}/`)).status).toBe(404);
  });

  it('counts a throttled password by its budget and an unknown URL under one route label', async () => {
    const t = await startApp({ api: 'v2', env: { METRICS_PORT: '0' } });
    const c = t.client();
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await c.post('/login', { email: 'mallory@example.com', password: `guess ${attempt}` })).statusCode).toBe(401);
    }
    const refused = await c.post('/login', { email: 'mallory@example.com', password: 'guess 6' });
    expect(refused.statusCode).toBe(429);
    expect((await c.get('/no/such/page/12345')).statusCode).toBe(404);

    const text = await scrape(t);
    expect(valueOf(text, 'signin_throttled_total{budget="password-account-ip"}')).toBe(1);
    expect(valueOf(text, 'signin_outcomes_total{step="password",outcome="failed"}')).toBe(5);
    expect(valueOf(text, 'signin_http_responses_total{method="POST",route="/login",status="429"}')).toBe(1);
    expect(valueOf(text, 'signin_http_responses_total{method="GET",route="(unmatched)",status="404"}')).toBe(1);
    expect(text).not.toContain('12345');
  });

  it('counts 503s by the backend that did not answer: Verify down, then the database', async () => {
    const t = await startApp({ api: 'v2', env: { METRICS_PORT: '0' } });
    const c = t.client();
    t.sim.setFailureMode('down');
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(503);
    t.sim.setFailureMode('normal');

    // The database stops answering account reads (as the PostgreSQL pool reports an outage).
    const { accounts } = t.app.backends.database;
    const findByEmail = accounts.findByEmail;
    accounts.findByEmail = async () => {
      throw new BackendUnavailableError('database', new Error('connect ECONNREFUSED'));
    };
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(503);
    accounts.findByEmail = findByEmail;

    const text = await scrape(t);
    expect(valueOf(text, 'signin_unavailable_total{backend="verify"}')).toBe(1);
    expect(valueOf(text, 'signin_unavailable_total{backend="database"}')).toBe(1);
    expect(valueOf(text, 'signin_unavailable_total{backend="redis"}')).toBe(0);
    expect(valueOf(text, 'signin_verify_failures_total{operation="start",failure="unavailable"}')).toBe(1);
    expect(valueOf(text, 'signin_verify_starts_total{channel="sms",calling_code="1"}')).toBeUndefined();
    expect(valueOf(text, 'signin_http_responses_total{method="POST",route="/login",status="503"}')).toBe(2);
  });

  it('has no metrics listener and no /metrics without METRICS_PORT, and closes its listener with the app', async () => {
    const without = await startApp({ api: 'v2' });
    expect(without.app.metrics).toBeUndefined();
    expect(without.app.metricsAddress()).toBeUndefined();
    expect((await without.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);

    const t = await startApp({ api: 'v2', env: { METRICS_PORT: '0' } });
    const port = t.app.metricsAddress()?.port;
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    await t.app.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
