// Requests that race a code check on the same pending sign-in, over a real socket: a cancel, a
// resend or a logout whose body arrives only after the check has signed the user in.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ALICE, createTestClient, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';

/** Sends a form POST's head now and its body when `finish()` is called; resolves to the raw answer. */
function heldPost(port: number, path: string, cookies: Record<string, string>, form: Record<string, string>) {
  const body = new URLSearchParams(form).toString();
  const socket = connect(port, '127.0.0.1');
  const cookie = Object.entries(cookies).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`,
  );
  const answer = new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  return { finish: () => (socket.write(body), answer) };
}

const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]);
const locationOf = (raw: string) => /\r\nlocation: ([^\r]+)/i.exec(raw)?.[1];
const csrfOf = (c: TestClient, html: string) => ({ _csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1], cookies: { ...c.jar.cookies } });

describe('requests racing a code check', () => {
  const start = useTestApps();

  async function pendingOverHttp(): Promise<{ t: TestApp; c: TestClient; port: number; page: string }> {
    const t = await start({ api: 'v2' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    const page = (await c.get('/login/code')).body;
    return { t, c, port: (t.app.server.address() as AddressInfo).port, page };
  }

  it('a cancel that arrives after the check signed the user in leaves them signed in and calls no Vonage cancel', async () => {
    const { t, c, port, page } = await pendingOverHttp();
    const { _csrf, cookies } = csrfOf(c, page);
    const cancel = heldPost(port, '/login/code/cancel', cookies, { _csrf });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    const answer = await cancel.finish();
    expect(statusOf(answer)).toBe(303);
    expect(locationOf(answer)).toBe('/');
    expect(answer).not.toMatch(/set-cookie: sid=;/i);
    expect(t.sim.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
    expect((await c.get('/')).statusCode).toBe(200);
  });

  it('a resend that arrives after the check signed the user in sends nothing and signs nobody out', async () => {
    const { t, c, port, page } = await pendingOverHttp();
    const { _csrf, cookies } = csrfOf(c, page);
    const resend = heldPost(port, '/login/code/resend', cookies, { _csrf });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    const before = t.sim.requests.length;
    const answer = await resend.finish();
    expect(locationOf(answer)).toBe('/');
    expect(t.sim.requests.length).toBe(before);
    expect((await c.get('/')).statusCode).toBe(200);
  });

  it('a logout sent with the pending cookie also ends the session the racing check created', async () => {
    const { t, c, port, page } = await pendingOverHttp();
    const { _csrf, cookies } = csrfOf(c, page);
    const logout = heldPost(port, '/logout', cookies, { _csrf });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).headers.location).toBe('/');
    expect((await c.get('/')).statusCode).toBe(200);
    expect(locationOf(await logout.finish())).toBe('/login');
    expect((await c.get('/')).headers.location).toBe('/login');
  });

  it('pending sign-ins sharing one Verify request check it one at a time', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' }, simulator: { slowMs: 300 } });
    const browsers: TestClient[] = [];
    for (let i = 0; i < 4; i++) {
      const b = createTestClient(t.app, { 'x-forwarded-for': `198.51.100.${i}` });
      await b.post('/login', { email: ALICE.email, password: ALICE.password });
      await b.get('/login/code');
      browsers.push(b);
    }
    expect(new Set(t.sim.sent.map((s) => s.requestId)).size).toBe(1);
    const code = t.sim.lastCode(ALICE.phone) as string;
    const wrong = (code.startsWith('0') ? '1' : '0') + code.slice(1);
    t.sim.setFailureMode('slow');
    const all = await Promise.all(browsers.map((b) => b.post('/login/code', { code: wrong })));
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(3);
    expect(t.sim.requests.filter((r) => r.method === 'POST' && /\/v2\/verify\/[\w-]+$/.test(r.path))).toHaveLength(1);
  });

  it('a resend to a phone whose country is no longer served sends nothing', async () => {
    const t = await start({ api: 'v2', env: { VERIFY_ALLOWED_COUNTRIES: '1' } });
    const c = t.client();
    await c.post('/login', { email: ALICE.email, password: ALICE.password });
    await c.get('/login/code');
    await t.sql('UPDATE users SET phone = $1 WHERE email = $2', ['+447700900123', ALICE.email]);
    const before = t.sim.requests.length;
    const res = await c.post('/login/code/resend');
    expect(res.headers.location).toBe('/login');
    expect(t.sim.requests.length).toBe(before);
  });

  it('the device cookie works for an account seeded with capitals in its email', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    // must_change_password 0: this test is about the device cookie, not the forced password change
    await t.sql('INSERT INTO users (email, phone, password_hash, must_change_password) VALUES ($1, $2, $3, 0)', [
      'Carol.Smith@Example.com',
      '+15555550123',
      await hashPassword('carol password 1'),
    ]);
    const owner = t.client();
    await owner.post('/login', { email: 'carol.smith@example.com', password: 'carol password 1' });
    await owner.get('/login/code');
    // Her first full sign-in: straight home, which shows her new recovery codes once.
    expect((await owner.post('/login/code', { code: t.sim.lastCode('+15555550123') as string })).headers.location).toBe('/');
    expect((await owner.get('/')).body).toContain('Your recovery codes — shown once');
    await owner.post('/logout');
    await owner.get('/login');
    const attacker = t.client();
    await attacker.get('/login');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        attacker.post('/login', { email: 'carol.smith@example.com', password: `guess ${i}` }, { 'x-forwarded-for': `198.51.100.${i}` }),
      ),
    );
    const back = await owner.post('/login', { email: 'Carol.Smith@example.com', password: 'carol password 1' }, { 'x-forwarded-for': '192.0.2.1' });
    expect(back.headers.location).toBe('/login/code');
  });
});
