// The code step and the sends, attacked with the password already known: guesses across fresh
// sign-ins, parallel guesses, parallel resends from many browsers, and countries not served.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditCount } from '../helpers/audit.ts';

const wrongCodeFor = (code: string) => (code.startsWith('0') ? '1' : '0') + code.slice(1);
const isCheck = (r: { method: string; path: string }) => r.method === 'POST' && /check|\/v2\/verify\/[\w-]+$/.test(r.path);
const isStart = (r: { method: string; path: string }) => r.method === 'POST' && /\/verify\/json$|\/v2\/verify$/.test(r.path);

describe('code and send budgets', () => {
  const start = useTestApps();

  async function pendingClient(app: TestApp): Promise<TestClient> {
    const c = app.client();
    const login = await c.post('/login', { email: ALICE.email, password: ALICE.password });
    expect(login.headers.location).toBe('/login/code');
    await c.get('/login/code');
    return c;
  }

  it('20 guesses at once on one pending sign-in reach Vonage one at a time: one check, 19 answers 429', async () => {
    const t = await start({ api: 'v2', simulator: { slowMs: 300 } });
    const c = await pendingClient(t);
    const code = t.sim.lastCode(ALICE.phone) as string;
    t.sim.setFailureMode('slow');
    const all = await Promise.all(Array.from({ length: 20 }, () => c.post('/login/code', { code: wrongCodeFor(code) })));
    expect(all.filter((res) => res.statusCode === 401)).toHaveLength(1);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(19);
    expect(t.sim.requests.filter(isCheck)).toHaveLength(1);
  });

  it('guessing across fresh sign-ins stops at 10 failed codes per account; then even the right code answers 429', async () => {
    // Plenty of sends for this test: it is about the code budget.
    const t = await start({ api: 'legacy', env: { TRUST_PROXY: 'true' } });
    let c = await pendingClient(t);
    let checked = 0;
    let throttled;
    for (let round = 0; round < 20 && !throttled; round++) {
      const res = await c.post('/login/code', { code: wrongCodeFor(t.sim.lastCode(ALICE.phone) as string) });
      if (res.statusCode === 429) throttled = res;
      else checked++;
      if (res.statusCode === 303) {
        // Vonage ended this request (3 wrong): sign in again for 3 more guesses
        await t.moveClock(Date.now() + 31_000);
        c = await pendingClient(t);
      }
    }
    expect(checked).toBe(10);
    expect(throttled?.headers['retry-after']).toMatch(/^\d+$/);
    expect(throttled?.body).toContain('Too many wrong codes for this account');
    const right = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(right.statusCode).toBe(429);
    expect(t.sim.requests.filter(isCheck)).toHaveLength(10);
    expect(await auditCount(t, 'code-throttled')).toBe(1); // the first refusal of the window
  });

  it('four browsers resending in the same second send one code: the cooldown is per account', async () => {
    const t = await start({ api: 'v2', simulator: { slowMs: 300 } });
    const browsers = [];
    for (let i = 0; i < 4; i++) browsers.push(await pendingClient(t));
    expect(t.sim.sent).toHaveLength(1); // the later password steps carried on with the running request
    await t.moveClock(Date.now() + 31_000);
    t.sim.setFailureMode('slow');
    const all = await Promise.all(browsers.map((b) => b.post('/login/code/resend')));
    t.sim.setFailureMode('normal');
    expect(all.filter((res) => res.statusCode === 303)).toHaveLength(1);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(3);
    expect(t.sim.sent).toHaveLength(2);
    // and one browser after another: the second waits out the account's cooldown
    const later = await browsers[3].post('/login/code/resend');
    expect(later.statusCode).toBe(429);
    expect(Number(later.headers['retry-after'])).toBeGreaterThan(25);
    expect(t.sim.sent).toHaveLength(2);
  });

  it('at most 5 Verify starts or resends per account an hour, however many browsers try', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    let now = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const c = t.client();
      const res = await c.post('/login', { email: ALICE.email, password: ALICE.password }, { 'x-forwarded-for': `198.51.100.${i}` });
      statuses.push(res.statusCode);
      if (res.statusCode === 303) await c.post('/login/code/cancel');
      now += 31_000; // past the cooldown and Vonage's cancel rule
      await t.moveClock(now);
    }
    expect(statuses.filter((s) => s === 303)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(t.sim.requests.filter(isStart)).toHaveLength(5);
  });

  it('12 right passwords at once from 12 addresses start at most 5 Verify requests for the account', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const c = t.client();
    await c.get('/login');
    const all = await Promise.all(
      Array.from({ length: 12 }, (_, i) => c.post('/login', { email: ALICE.email, password: ALICE.password }, { 'x-forwarded-for': `198.51.100.${i}` })),
    );
    expect(all.filter((res) => res.statusCode === 303)).toHaveLength(5);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(7);
    expect(t.sim.requests.filter(isStart).length).toBeLessThanOrEqual(5);
  });

  it('a Verify start that failed sends nothing, so it spends no budget and starts no cooldown', async () => {
    const t = await start({ api: 'v2' });
    t.sim.setFailureMode('down');
    const c = t.client();
    for (let i = 0; i < 6; i++) expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(503);
    t.sim.setFailureMode('normal');
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).headers.location).toBe('/login/code');
  });

  it('a phone outside VERIFY_ALLOWED_COUNTRIES gets a clear 403 page and no Verify request at all', async () => {
    const t = await start({ api: 'v2', env: { VERIFY_ALLOWED_COUNTRIES: '44,33' } });
    const res = await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('its country is not served');
    expect(t.sim.requests).toHaveLength(0);
    expect(await auditCount(t, 'code-send-refused-country')).toBe(1);
  });

  it('a phone inside VERIFY_ALLOWED_COUNTRIES is sent its code', async () => {
    const t = await start({ api: 'v2', env: { VERIFY_ALLOWED_COUNTRIES: '44,1' } });
    const res = await t.client().post('/login', { email: ALICE.email, password: ALICE.password });
    expect(res.headers.location).toBe('/login/code');
    expect(t.sim.sent).toHaveLength(1);
  });

  it('a parallel check, resend and cancel of one pending sign-in make one Verify call between them', async () => {
    const t = await start({ api: 'v2', simulator: { slowMs: 300 } });
    const c = await pendingClient(t);
    await t.moveClock(Date.now() + 31_000);
    const before = t.sim.requests.length;
    const code = t.sim.lastCode(ALICE.phone) as string;
    t.sim.setFailureMode('slow'); // the first call holds the lock long enough for the others to meet it
    const all = await Promise.all([
      c.post('/login/code', { code: wrongCodeFor(code) }),
      c.post('/login/code/resend'),
      c.post('/login/code/cancel'),
      c.post('/login/code/cancel'),
    ]);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(3);
    expect(t.sim.requests.length - before).toBe(1);
  });
});
