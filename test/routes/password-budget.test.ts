// The password step's budgets, fired the way an attacker would: many requests at once, from one
// address and from many, for known and unknown accounts. Each count is taken before argon2.
import { describe, expect, it } from 'vitest';
import { ALICE, createTestClient, removeTestDir, startTestApp, useTestApps } from '../helpers/test-app.ts';
import { auditCount } from '../helpers/audit.ts';

const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('password budgets', () => {
  const start = useTestApps();

  it('40 wrong passwords at once from one address: 5 are checked, 35 answer 429 with Retry-After', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const c = t.client();
    await c.get('/login');
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => c.post('/login', { email: ALICE.email, password: `wrong ${i}` }, from('203.0.113.9'))),
    );
    const statuses = all.map((res) => res.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
    // beyond 20 a minute the address itself is refused first; the account's 5 refuse the rest
    const byAccount = all.filter((res) => res.statusCode === 429 && Number(res.headers['retry-after']) > 800);
    expect(byAccount.length).toBeGreaterThan(0);
    for (const res of byAccount) expect(res.body).toMatch(/Too many attempts\. Try again in 1[45] minutes\./);
    for (const res of all.filter((r) => r.statusCode === 429)) expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(await auditCount(t, 'password-failed')).toBe(5);
    // the right password from that address is refused too, and no code is sent
    const right = await c.post('/login', { email: ALICE.email, password: ALICE.password }, from('203.0.113.9'));
    expect(right.statusCode).toBe(429);
    expect(t.sim.sent).toHaveLength(0);
  });

  it('from many addresses at once the account takes 15 failures, then locks for browsers it does not know', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const c = t.client();
    await c.get('/login');
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => c.post('/login', { email: ALICE.email, password: `wrong ${i}` }, from(`198.51.100.${i + 1}`))),
    );
    expect(all.filter((res) => res.statusCode === 401)).toHaveLength(15);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(25);
    expect(await auditCount(t, 'account-locked')).toBe(1);
    const stranger = await createTestClient(t.app).post('/login', { email: ALICE.email, password: ALICE.password }, from('192.0.2.50'));
    expect(stranger.statusCode).toBe(429);
    expect(t.sim.sent).toHaveLength(0);
  });

  it('a browser that signed in before keeps its own budget while the account is locked for others', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const owner = t.client();
    expect((await owner.signIn(t.sim)).headers.location).toBe('/');
    expect(owner.jar.cookies.device).toBeDefined();
    await owner.get('/');
    expect((await owner.post('/logout')).headers.location).toBe('/login');
    await owner.get('/login');

    const attacker = t.client();
    await attacker.get('/login');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => attacker.post('/login', { email: ALICE.email, password: `guess ${i}` }, from(`198.51.100.${i + 1}`))),
    );
    expect((await attacker.post('/login', { email: ALICE.email, password: ALICE.password }, from('198.51.100.99'))).statusCode).toBe(429);

    // the owner, from an address of their own, still gets in with the device cookie
    const back = await owner.post('/login', { email: ALICE.email, password: ALICE.password }, from('192.0.2.7'));
    expect(back.statusCode).toBe(303);
    expect(back.headers.location).toBe('/login/code');
    // a device cookie for another account, or a forged one, is no help
    const forged = createTestClient(t.app);
    forged.jar.set('device=abc.def; Path=/');
    expect((await forged.post('/login', { email: ALICE.email, password: ALICE.password }, from('192.0.2.8'))).statusCode).toBe(429);
  });

  it("a known browser's own budget holds under parallel guesses too: 5 checked, the rest 429", async () => {
    const t = await start({ api: 'v2' });
    const owner = t.client();
    await owner.signIn(t.sim);
    await owner.get('/');
    await owner.post('/logout');
    await owner.get('/login');
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => owner.post('/login', { email: ALICE.email, password: `wrong ${i}` })));
    expect(all.filter((res) => res.statusCode === 401)).toHaveLength(5);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(7);
  });

  it('an unknown email is throttled exactly like a real one, so a 429 says nothing about existence', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const c = t.client();
    await c.get('/login');
    const run = (email: string, ip: string) =>
      Promise.all(Array.from({ length: 8 }, (_, i) => c.post('/login', { email, password: `wrong ${i}` }, from(ip))));
    const [known, unknown] = [await run(ALICE.email, '203.0.113.1'), await run('nobody@example.com', '203.0.113.2')];
    const shape = (all: typeof known) => all.map((res) => res.statusCode).sort();
    expect(shape(unknown)).toEqual(shape(known));
    const message = (all: typeof known) => /class="error"[^>]*>([^<]+)/.exec(all.find((r) => r.statusCode === 429)!.body)?.[1];
    expect(message(unknown)).toBe(message(known));
  });

  it('a right password forgives this address its failures: 4 wrong, right, 4 wrong again are all checked', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    for (let i = 0; i < 4; i++) expect((await c.post('/login', { email: ALICE.email, password: `wrong ${i}` })).statusCode).toBe(401);
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(303);
    const again = t.client();
    for (let i = 0; i < 4; i++) expect((await again.post('/login', { email: ALICE.email, password: `wrong ${i}` })).statusCode).toBe(401);
  });

  it('more than 20 password attempts a minute from one address answer 429, whatever the accounts', async () => {
    const t = await start({ api: 'legacy' });
    const c = t.client();
    await c.get('/login');
    const all = await Promise.all(Array.from({ length: 25 }, (_, i) => c.post('/login', { email: `user${i}@example.com`, password: 'x' })));
    expect(all.filter((res) => res.statusCode === 401)).toHaveLength(20);
    const limited = all.filter((res) => res.statusCode === 429);
    expect(limited).toHaveLength(5);
    expect(limited[0].headers['retry-after']).toMatch(/^\d+$/);
  });

  it('counts a whole IPv6 /64 as one address', async () => {
    const t = await start({ api: 'v2', env: { TRUST_PROXY: 'true' } });
    const c = t.client();
    await c.get('/login');
    const all = await Promise.all(
      Array.from({ length: 25 }, (_, i) => c.post('/login', { email: `user${i}@example.com`, password: 'x' }, from(`2001:db8::${i + 1}`))),
    );
    expect(all.filter((res) => res.statusCode === 401)).toHaveLength(20);
    expect(all.filter((res) => res.statusCode === 429)).toHaveLength(5);
  });

  it('budgets survive a restart', async () => {
    const first = await startTestApp({ api: 'v2' });
    try {
      const c = first.client();
      for (let i = 0; i < 5; i++) expect((await c.post('/login', { email: ALICE.email, password: `wrong ${i}` })).statusCode).toBe(401);
      await first.app.close();
      const restarted = await startTestApp({ api: 'v2', dir: first.dir, sim: first.sim });
      const res = await restarted.client().post('/login', { email: ALICE.email, password: ALICE.password });
      await restarted.close();
      expect(res.statusCode).toBe(429);
    } finally {
      await first.sim.close();
      await removeTestDir(first.dir);
    }
  });
});
