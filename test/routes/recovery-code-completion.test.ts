// Issue 14, point 6: a recovery code is used up only by a sign-in that completes. The code step
// is held just before it completes the sign-in (the recovery code already spent), while a
// parallel request ends the pending sign-in; the code must then still work.
import { describe, expect, it } from 'vitest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { firstSignIn, pendingClient } from '../helpers/recovery-codes.ts';
import { auditRows } from '../helpers/audit.ts';

type Finish = (request: FastifyRequest, reply: FastifyReply, proof: unknown) => Promise<FastifyReply>;

/** Holds the next sign-in's completion (the one transition every factor finishes through) until `release()`; `reached` resolves when it is held. */
function holdCompletion(t: TestApp) {
  const signIn = t.app.signIn as unknown as { finish: Finish };
  const finish = signIn.finish;
  let release!: () => void;
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const atHold = new Promise<void>((resolve) => (reached = resolve));
  signIn.finish = async (...args) => {
    signIn.finish = finish;
    reached();
    await held;
    return finish(...args);
  };
  return { reached: atHold, release };
}

/** What ends the pending sign-in while its recovery code is being checked. */
const RACERS: Array<[string, (pending: TestClient, other: TestClient) => Promise<unknown>]> = [
  ['a logout from the same browser', (pending) => pending.post('/logout')],
  ['"Sign out all other browsers" from a signed-in browser', async (_pending, other) => {
    await other.get('/account/sessions');
    return other.post('/account/sessions/end-others');
  }],
];

describe('a recovery code typed at the code step', () => {
  const start = useTestApps();

  it.each(RACERS)('is not used up when %s ends the sign-in first: nobody got in, and it works later', async (_name, racer) => {
    const t = await start({ api: 'v2' });
    const { c: other, codes } = await firstSignIn(t);
    const pending = await pendingClient(t);
    const hold = holdCompletion(t);
    const typed = pending.post('/login/code', { code: codes[0] });
    await hold.reached; // the code is spent; the sign-in has yet to complete
    await racer(pending, other);
    hold.release();
    const answer = await typed;
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe('/login');
    expect((await pending.get('/')).headers.location).toBe('/login');
    expect((await auditRows(t)).filter((row) => row.event === 'recovery-code-used')).toEqual([]);

    const later = await pendingClient(t, t.client());
    const done = await later.post('/login/code', { code: codes[0] });
    expect(done.headers.location).toBe('/');
    expect((await later.get('/')).body).toContain('You signed in with a recovery code. 9 codes left.');
    // …and now it is used up.
    const again = await pendingClient(t, t.client());
    expect((await again.post('/login/code', { code: codes[0] })).statusCode).toBe(401);
  });
});
