// SESSION_SECRET rotation during a rolling deploy, with two instances on one database at each
// step, and a browser going back and forth between them (following every re-issued cookie).
// Putting the new secret first on one instance while another still has only the old one signs the
// browser out there. The README's order does not: (1) add the new secret second, everywhere;
// (2) once every instance has it, move it first; (3) later, drop the old one.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';
import type { VerifySimulator } from '../../src/verify-simulator/index.ts';
import { SESSION_SECRET as OLD, seededDir, simulatorOptions, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { removeAfterTest } from '../helpers/temp-dir.ts';
import { backendEnv } from '../helpers/test-backend.ts';

const NEW = 'the-next-session-secret-of-32-characters-or-more';

/** A browser's session cookie, kept as a browser keeps it: the last `sid` a response set wins. */
async function visit(app: FastifyInstance, cookie: string): Promise<{ status: number; cookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/', cookies: { sid: cookie } });
  const set = res.cookies.filter((c) => c.name === 'sid').at(-1);
  return { status: res.statusCode, cookie: set && set.value !== '' ? set.value : cookie };
}

describe('rotating SESSION_SECRET across two running instances', () => {
  let sim: VerifySimulator;
  const running: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((t) => t.close()));
    await sim?.close();
  });

  async function instances(dir: string, a: string[], b: string[]): Promise<[TestApp, TestApp]> {
    await Promise.all(running.splice(0).map((t) => t.close()));
    await backendEnv(dir); // the folder's database (and Redis prefix) made once, before both start
    const started = await Promise.all([a, b].map((secrets) => startTestApp({ api: 'v2', sim, dir, env: { SESSION_SECRET: secrets.join(',') } })));
    running.push(...started);
    return started as [TestApp, TestApp];
  }

  /** The browser on A, B, A, B: the page each time; returns the cookie it ends with. */
  async function backAndForth(a: TestApp, b: TestApp, cookie: string, what: string): Promise<string> {
    for (const [i, t] of [a, b, a, b].entries()) {
      const seen = await visit(t.app, cookie);
      expect(seen.status, `${what}: request ${i + 1}`).toBe(200);
      cookie = seen.cookie;
    }
    return cookie;
  }

  async function signedInOn(t: TestApp): Promise<string> {
    const c = t.client();
    expect((await c.signIn(sim)).headers.location).toBe('/');
    return c.sessionId() as string;
  }

  it('signs the browser out on the instance still on the old list when the new secret goes first at once', async () => {
    sim = await startVerifySimulator(simulatorOptions());
    const dir = removeAfterTest(await seededDir());
    const [a, b] = await instances(dir, [NEW, OLD], [OLD]);
    const cookie = await signedInOn(a);
    expect((await visit(a.app, cookie)).status).toBe(200);
    expect((await visit(b.app, cookie)).status).toBe(303);
  });

  it("keeps every browser signed in on both instances through each step of the README's order", async () => {
    sim = await startVerifySimulator(simulatorOptions());
    const dir = removeAfterTest(await seededDir());

    let [a, b] = await instances(dir, [OLD], [OLD]);
    let early = await signedInOn(a); // signed in before the rotation began

    // Step 1, halfway: A has the new secret as a second, verify-only entry; B does not yet.
    [a, b] = await instances(dir, [OLD, NEW], [OLD]);
    early = await backAndForth(a, b, early, 'step 1 halfway, the early browser');
    let late = await backAndForth(a, b, await signedInOn(a), 'step 1 halfway, signed in on A');

    // Step 2, halfway: every instance had the new secret; A now signs with it, B still signs with the old.
    [a, b] = await instances(dir, [NEW, OLD], [OLD, NEW]);
    early = await backAndForth(a, b, early, 'step 2 halfway, the early browser');
    late = await backAndForth(a, b, late, 'step 2 halfway, the later browser');
    const newest = await backAndForth(a, b, await signedInOn(a), 'step 2 halfway, signed in on A with the new secret');

    // Step 2 done: both sign with the new secret; each browser's next request re-issues its cookie under it.
    [a, b] = await instances(dir, [NEW, OLD], [NEW, OLD]);
    const browsers = [early, late, newest];
    for (const [i, cookie] of browsers.entries()) browsers[i] = (await visit(a.app, cookie)).cookie;

    // Step 3: the old secret dropped, halfway and then everywhere: every browser still signed in.
    [a, b] = await instances(dir, [NEW], [NEW, OLD]);
    for (const [i, cookie] of browsers.entries()) browsers[i] = await backAndForth(a, b, cookie, `step 3 halfway, browser ${i + 1}`);
    [a, b] = await instances(dir, [NEW], [NEW]);
    for (const [i, cookie] of browsers.entries()) await backAndForth(a, b, cookie, `step 3 done, browser ${i + 1}`);
  });
});
