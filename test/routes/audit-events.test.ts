// Every auth event lands in the audit log with its time, account, address and user agent, and
// nothing secret: no password, code, session ID or Verify request ID.
import { describe, expect, it } from 'vitest';
import { ALICE, createTestClient, useTestApps } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';

const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0', 'x-forwarded-for': '203.0.113.77' };
const wrongCodeFor = (code: string) => (code.startsWith('0') ? '1' : '0') + code.slice(1);

describe('the audit log', () => {
  const start = useTestApps();

  it('records each step of a sign-in with account, address and user agent, and never a secret', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: '127.0.0.1' } });
    const c = createTestClient(t.app, BROWSER);
    await c.post('/login', { email: ALICE.email, password: 'wrong password' });
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    const firstCode = t.sim.lastCode(ALICE.phone) as string;
    await c.post('/login/code', { code: wrongCodeFor(firstCode) });
    await t.moveClock(Date.now() + 31_000);
    await c.post('/login/code/resend');
    await c.get('/login/code');
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    await c.get('/');
    const sid = c.sessionId() as string;
    await c.post('/logout');
    await c.get('/login');
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    await c.post('/login/code/cancel');

    const rows = await auditRows(t);
    expect(rows.map((r) => r.event)).toEqual([
      'password-failed',
      'password-ok',
      'code-sent',
      'code-failed',
      'code-resent',
      'code-ok',
      'signed-out',
      'password-ok',
      'code-sent',
      'signin-cancelled',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ user_id: 1, ip: '203.0.113.77', user_agent: BROWSER['user-agent'] });
    }
    const everything = JSON.stringify(rows);
    const requestIds = t.sim.sent.map((s) => s.requestId);
    for (const secret of [ALICE.password, 'wrong password', firstCode, ...requestIds, decodeURIComponent(sid).split('.')[0]]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('records throttling and the moment an account locks', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const c = t.client();
    await c.get('/login');
    await Promise.all(
      Array.from({ length: 18 }, (_, i) => c.post('/login', { email: ALICE.email, password: `x${i}` }, { 'x-forwarded-for': `198.51.100.${i}` })),
    );
    const events = (await auditRows(t)).map((r) => r.event);
    expect(events.filter((e) => e === 'password-failed')).toHaveLength(15);
    expect(events.filter((e) => e === 'account-locked')).toHaveLength(1);
    expect(events.filter((e) => e === 'password-throttled')).toHaveLength(1); // the first refusal of the window, not each
  });
});
