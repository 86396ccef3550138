// Making new recovery codes: the password, then a fresh code from the phone, then every old code
// replaced by ten new ones shown once. No code ever reaches a log line, a cookie or another page.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { expectCodesPanel, firstSignIn, hasRecoveryCodeShape, pendingClient } from '../helpers/recovery-codes.ts';

const wrongCodeFor = (code: string) => (code.startsWith('0') ? '1' : '0') + code.slice(1);
const PAGE = '/account/recovery-codes';

describe('making new recovery codes', () => {
  const start = useTestApps();

  /** Signed in with codes already; the password step of the renewal done, its code sent. */
  async function renewalUnderWay(t: TestApp): Promise<{ c: TestClient; old: string[] }> {
    const { c, codes: old } = await firstSignIn(t);
    await c.get(PAGE);
    const send = await c.post(`${PAGE}/send`, { password: ALICE.password });
    expect(send.statusCode).toBe(303);
    expect(send.headers.location).toBe(PAGE);
    return { c, old };
  }

  it('takes the password, then a code sent to the phone; the new codes are shown once and the old ones stop working', async () => {
    const t = await start({ api: 'v2' });
    const { c, codes: old } = await firstSignIn(t);
    const manage = await c.get(PAGE);
    expect(manage.body).toContain(`action="${PAGE}/send"`);
    const sentBefore = t.sim.sent.length;
    const wrongPassword = await c.post(`${PAGE}/send`, { password: 'not the password' });
    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.body).toContain('That password is not right.');
    expect(t.sim.sent).toHaveLength(sentBefore);
    expect((await c.post(PAGE, { code: '123456' })).statusCode).toBe(400); // no code was sent yet

    expect((await c.post(`${PAGE}/send`, { password: ALICE.password })).headers.location).toBe(PAGE);
    expect(t.sim.sent).toHaveLength(sentBefore + 1);
    const codeForm = await c.get(PAGE);
    expect(codeForm.body).toContain('+1 ••• ••• 0100');
    expect(codeForm.body).toContain(`action="${PAGE}"`);
    const code = t.sim.lastCode(ALICE.phone) as string;
    const wrong = await c.post(PAGE, { code: wrongCodeFor(code) });
    expect(wrong.statusCode).toBe(401);
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);

    const done = await c.post(PAGE, { code });
    expect(done.headers.location).toBe(PAGE);
    const shown = await c.get(PAGE);
    const fresh = expectCodesPanel(shown.body); // the layout's one-time panel, above the page's own content
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((one) => old.includes(one))).toEqual([]);
    expect(shown.body).toContain('<strong>10</strong> unused recovery codes');
    const after = await c.get(PAGE);
    expect(hasRecoveryCodeShape(after.body)).toBe(false);
    expect(after.body).not.toContain(`action="${PAGE}"`); // the renewal is over: no code form

    const b = await pendingClient(t);
    expect((await b.post('/login/code', { code: old[0] })).statusCode).toBe(401);
    expect((await b.post('/login/code', { code: fresh[0] })).headers.location).toBe('/');
    expect((await b.get('/')).body).toContain('9 codes left');

    const events = (await auditRows(t)).map((row) => [row.event, row.detail]);
    expect(events).toContainEqual(['recovery-codes-regenerated', null]);
    expect(events).toContainEqual(['password-failed', 'recovery-codes']);
    expect(events).toContainEqual(['code-sent', 'recovery-codes']);
    expect(events).toContainEqual(['code-failed', 'recovery-codes wrong-code']);

    // Nowhere else: not in a log line, a cookie, or any other page.
    const logs = t.logs.join('\n');
    for (const shownCode of [...old, ...fresh]) {
      expect(logs).not.toContain(shownCode);
      expect(logs).not.toContain(shownCode.replaceAll(' ', ''));
    }
    for (const jar of [c.jar, b.jar]) expect(hasRecoveryCodeShape(jar.all().join('\n'))).toBe(false);
    for (const page of ['/', PAGE, '/account/sessions']) expect(hasRecoveryCodeShape((await c.get(page)).body)).toBe(false);
  });

  it('the same right code sent twice at once makes one new set', async () => {
    const t = await start({ api: 'v2' });
    const { c } = await renewalUnderWay(t);
    await c.get(PAGE);
    const code = t.sim.lastCode(ALICE.phone) as string;
    const answers = await Promise.all([c.post(PAGE, { code }), c.post(PAGE, { code })]);
    expect(answers.filter((res) => res.statusCode === 303)).toHaveLength(1);
    expect((await auditRows(t)).filter((row) => row.event === 'recovery-codes-regenerated')).toHaveLength(1);
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);
  });

  it('a Verify outage sends nothing and costs nothing; wrong passwords spend the account’s password budget', async () => {
    const t = await start({ api: 'v2' });
    const { c } = await firstSignIn(t);
    await c.get(PAGE);
    t.sim.setFailureMode('down');
    const down = await c.post(`${PAGE}/send`, { password: ALICE.password });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toMatch(/^\d+$/);
    t.sim.setFailureMode('normal');
    expect((await c.post(`${PAGE}/send`, { password: ALICE.password })).headers.location).toBe(PAGE);
    expect((await auditRows(t)).filter((row) => row.event === 'code-send-failed')).toHaveLength(1);

    await c.get(PAGE);
    for (let i = 0; i < 5; i++) expect((await c.post(`${PAGE}/send`, { password: `wrong ${i}` })).statusCode).toBe(401);
    const throttled = await c.post(`${PAGE}/send`, { password: ALICE.password });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.body).toContain('Too many password attempts.');
    expect((await auditRows(t)).filter((row) => row.event === 'password-throttled')).toMatchObject([{ detail: 'recovery-codes' }]);
  });

  it('wrong codes at the renewal count against the account’s code budget', async () => {
    const t = await start({ api: 'legacy' });
    const { c } = await renewalUnderWay(t);
    await c.get(PAGE);
    let wrong = 0;
    let answer;
    for (let i = 0; i < 12; i++) {
      answer = await c.post(PAGE, { code: wrongCodeFor(t.sim.lastCode(ALICE.phone) as string) });
      if (answer.statusCode === 429) break;
      expect(answer.statusCode).toBe(401);
      wrong++;
      if (!answer.body.includes(`action="${PAGE}"`)) {
        // Vonage ended the request after three wrong codes: the password again for a new one.
        expect((await c.post(`${PAGE}/send`, { password: ALICE.password })).statusCode).toBe(303);
        await c.get(PAGE);
      }
    }
    expect(wrong).toBe(10);
    expect(answer?.statusCode).toBe(429);
    expect(answer?.body).toContain('Too many wrong codes for this account');
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);
  });
});
