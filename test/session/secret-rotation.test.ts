// SESSION_SECRET rotation: put the new secret first; sessions signed with the old one keep working.
import { describe, expect, it } from 'vitest';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';
import { SESSION_SECRET, seededDir, simulatorOptions, startTestApp } from '../helpers/test-app.ts';
import { removeAfterTest } from '../helpers/temp-dir.ts';

const NEW_SECRET = 'a-brand-new-secret-of-at-least-32-characters';

describe('rotating SESSION_SECRET', () => {
  it('keeps a session signed with the old secret, re-issuing its cookie under the new one', async () => {
    const sim = await startVerifySimulator(simulatorOptions());
    const dir = removeAfterTest(await seededDir());
    try {
      const before = await startTestApp({ api: 'legacy', sim, dir });
      const c = before.client();
      await c.signIn(sim);
      const oldCookie = c.sessionId() as string;
      await before.close();

      const rotated = await startTestApp({ api: 'legacy', sim, dir, env: { SESSION_SECRET: `${NEW_SECRET},${SESSION_SECRET}` } });
      const first = await rotated.app.inject({ method: 'GET', url: '/', cookies: { sid: oldCookie } });
      expect(first.statusCode).toBe(200);
      // @fastify/session clears the old cookie and the re-issued one follows; browsers apply them in order
      const reissued = first.cookies.filter((cookie) => cookie.name === 'sid').at(-1)?.value;
      expect(reissued).toBeDefined();
      expect(reissued).not.toBe(oldCookie);
      // the old cookie is not cleared: a second request with it still works (before the browser updates)
      expect((await rotated.app.inject({ method: 'GET', url: '/', cookies: { sid: oldCookie } })).statusCode).toBe(200);
      const again = await rotated.app.inject({ method: 'GET', url: '/', cookies: { sid: reissued as string } });
      expect(again.statusCode).toBe(200);
      expect(again.cookies.filter((cookie) => cookie.name === 'sid')).toEqual([]); // nothing changed: no session Set-Cookie
      await rotated.close();

      const retired = await startTestApp({ api: 'legacy', sim, dir, env: { SESSION_SECRET: NEW_SECRET } });
      expect((await retired.app.inject({ method: 'GET', url: '/', cookies: { sid: reissued as string } })).statusCode).toBe(200);
      expect((await retired.app.inject({ method: 'GET', url: '/', cookies: { sid: oldCookie } })).statusCode).toBe(303);
      await retired.close();
    } finally {
      await sim.close();
    }
  });
});
