// Making new recovery codes: a sensitive action behind the recent sign-in check. Right after a full
// sign-in (or a confirmation) every old code is replaced by ten new ones at once, shown once;
// later, the password and a fresh code from the phone come first (/account/confirm). No code ever
// reaches a log line, a cookie or another page.
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { expectCodesPanel, firstSignIn, hasRecoveryCodeShape, pendingClient } from '../helpers/recovery-codes.ts';
import { CONFIRM, PAST_STEP_UP_MS, confirmPassword, later, wrongCodeFor } from '../helpers/confirm.ts';

const PAGE = '/account/recovery-codes';

describe('making new recovery codes', () => {
  const start = useTestApps();

  it('after STEP_UP_MINUTES: the password, then a code sent to the phone, back to the page; the new codes are shown once and the old ones stop working', async () => {
    const t = await start({ api: 'v2' });
    const { c, codes: old } = await firstSignIn(t);
    await later(t, PAST_STEP_UP_MS);
    const manage = await c.get(PAGE);
    expect(manage.body).toContain(`action="${PAGE}"`);
    expect(manage.body).not.toContain('name="password"');
    const asked = await c.post(PAGE);
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe(CONFIRM);
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);

    await c.get(CONFIRM);
    const sentBefore = t.sim.sent.length;
    const wrongPassword = await c.post(CONFIRM, { password: 'not the password' });
    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.body).toContain('That password is not right.');
    expect(t.sim.sent).toHaveLength(sentBefore);
    expect((await c.post(CONFIRM, { code: '123456' })).statusCode).toBe(400); // no code was sent yet

    const code = await confirmPassword(t, c);
    expect(t.sim.sent).toHaveLength(sentBefore + 1);
    expect((await c.post(CONFIRM, { code: wrongCodeFor(code) })).statusCode).toBe(401);
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);
    const confirmed = await c.post(CONFIRM, { code });
    expect(confirmed.headers.location).toBe(PAGE);
    const back = await c.get(PAGE);
    expect(hasRecoveryCodeShape(back.body)).toBe(false); // the POST is not replayed: the button again

    const done = await c.post(PAGE);
    expect(done.headers.location).toBe(PAGE);
    const shown = await c.get(PAGE);
    const fresh = expectCodesPanel(shown.body); // the layout's one-time panel, above the page's own content
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((one) => old.includes(one))).toEqual([]);
    expect(shown.body).toContain('<strong>10</strong> unused recovery codes');
    const after = await c.get(PAGE);
    expect(hasRecoveryCodeShape(after.body)).toBe(false);

    const b = await pendingClient(t);
    expect((await b.post('/login/code', { code: old[0] })).statusCode).toBe(401);
    expect((await b.post('/login/code', { code: fresh[0] })).headers.location).toBe('/');
    expect((await b.get('/')).body).toContain('9 codes left');

    const events = (await auditRows(t)).map((row) => [row.event, row.detail]);
    expect(events).toContainEqual(['recovery-codes-regenerated', null]);
    expect(events).toContainEqual(['password-failed', 'step-up']);
    expect(events).toContainEqual(['code-sent', 'step-up']);
    expect(events).toContainEqual(['code-failed', 'step-up wrong-code']);
    expect(events).toContainEqual(['step-up-confirmed', null]);

    // Nowhere else: not in a log line, a cookie, or any other page.
    const logs = t.logs.join('\n');
    for (const shownCode of [...old, ...fresh]) {
      expect(logs).not.toContain(shownCode);
      expect(logs).not.toContain(shownCode.replaceAll(' ', ''));
    }
    for (const jar of [c.jar, b.jar]) expect(hasRecoveryCodeShape(jar.all().join('\n'))).toBe(false);
    for (const page of ['/', PAGE, '/account/sessions', CONFIRM]) expect(hasRecoveryCodeShape((await c.get(page)).body)).toBe(false);
  });

  it('right after a full sign-in, "Make new recovery codes" makes them at once', async () => {
    const t = await start({ api: 'legacy' });
    const { c, codes: old } = await firstSignIn(t);
    await c.get(PAGE);
    const sentBefore = t.sim.sent.length;
    expect((await c.post(PAGE)).headers.location).toBe(PAGE);
    const fresh = expectCodesPanel((await c.get(PAGE)).body);
    expect(fresh.filter((one) => old.includes(one))).toEqual([]);
    expect(t.sim.sent).toHaveLength(sentBefore); // no code asked
  });

  it('two presses at once: the set shown is the set that works, and nothing answers 5xx', async () => {
    const t = await start({ api: 'v2' });
    const { c, codes: old } = await firstSignIn(t);
    await c.get(PAGE);
    const answers = await Promise.all([c.post(PAGE), c.post(PAGE)]);
    expect(answers.every((res) => [303, 429].includes(res.statusCode))).toBe(true);
    const made = (await auditRows(t)).filter((row) => row.event === 'recovery-codes-regenerated').length;
    expect(made).toBe(answers.filter((res) => res.statusCode === 303).length);
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);
    const shown = expectCodesPanel((await c.get(PAGE)).body);
    expect(shown.filter((one) => old.includes(one))).toEqual([]);
    const b = await pendingClient(t);
    expect((await b.post('/login/code', { code: shown[9] })).headers.location).toBe('/');
  });

  it('a Verify outage at the confirmation sends nothing and costs nothing; wrong passwords spend the account’s password budget', async () => {
    const t = await start({ api: 'v2' });
    const { c } = await firstSignIn(t);
    await later(t, PAST_STEP_UP_MS);
    await c.get(PAGE);
    expect((await c.post(PAGE)).headers.location).toBe(CONFIRM);
    await c.get(CONFIRM);
    t.sim.setFailureMode('down');
    const down = await c.post(CONFIRM, { password: ALICE.password });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toMatch(/^\d+$/);
    t.sim.setFailureMode('normal');
    expect((await c.post(CONFIRM, { password: ALICE.password })).headers.location).toBe(CONFIRM);
    expect((await auditRows(t)).filter((row) => row.event === 'code-send-failed')).toHaveLength(1);

    await c.get(CONFIRM);
    for (let i = 0; i < 5; i++) expect((await c.post(CONFIRM, { password: `wrong ${i}` })).statusCode).toBe(401);
    const throttled = await c.post(CONFIRM, { password: ALICE.password });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.body).toContain('Too many password attempts.');
    expect((await auditRows(t)).filter((row) => row.event === 'password-throttled')).toMatchObject([{ detail: 'step-up' }]);
  });

  it('wrong codes at the confirmation count against the account’s code budget', async () => {
    const t = await start({ api: 'legacy' });
    const { c } = await firstSignIn(t);
    await later(t, PAST_STEP_UP_MS);
    await c.get(PAGE);
    expect((await c.post(PAGE)).headers.location).toBe(CONFIRM);
    await confirmPassword(t, c);
    let wrong = 0;
    let answer;
    for (let i = 0; i < 12; i++) {
      answer = await c.post(CONFIRM, { code: wrongCodeFor(t.sim.lastCode(ALICE.phone) as string) });
      if (answer.statusCode === 429) break;
      expect(answer.statusCode).toBe(401);
      wrong++;
      if (!answer.body.includes('name="code"')) {
        // Vonage ended the request after three wrong codes: the password again for a new one.
        await confirmPassword(t, c);
      }
    }
    expect(wrong).toBe(10);
    expect(answer?.statusCode).toBe(429);
    expect(answer?.body).toContain('Too many wrong codes for this account');
    expect(await t.sql('SELECT 1 FROM recovery_codes WHERE used_at IS NULL')).toHaveLength(10);
  });
});
