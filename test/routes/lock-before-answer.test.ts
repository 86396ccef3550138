// A pending sign-in's Verify lock is free before the answer that ends a request under it goes out:
// a browser that acts on that answer at once (the right code, possibly on another instance) never
// finds the lock still held and gets "still being handled". Two instances on one set of backends
// (SQLite file, or PostgreSQL and Redis in the backends run), each listening on a real socket; each
// instance records when a lock's release completed and when an answer's head was written.
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { browser } from '../helpers/server-process.ts';
import type { LimitName } from '../../src/state/limits.ts';

const started: TestApp[] = [];
afterEach(async () => {
  // The second instance first: the first one removes the shared folder and database.
  for (const t of started.splice(0).reverse()) await t.close();
});

/** Records, in order, "released" (a Verify lock's release finished) and "sent METHOD URL" (an answer's head written). */
function recordOrder(app: FastifyInstance, events: string[]): void {
  const limits = app.backends.state.limits;
  const reset = limits.reset.bind(limits);
  limits.reset = async (...entries: Array<[LimitName, string]>) => {
    await reset(...entries);
    if (entries.some(([name]) => name === 'verify-call')) events.push('released');
  };
  app.server.prependListener('request', (request, response: ServerResponse) => {
    const writeHead = response.writeHead;
    response.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      events.push(`sent ${request.method} ${request.url}`);
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
  });
}

async function twoInstances() {
  const a = await startTestApp({ api: 'v2' });
  started.push(a);
  const b = await startTestApp({ api: 'v2', dir: a.dir, sim: a.sim });
  started.push(b);
  const events: string[] = [];
  for (const t of [a, b]) {
    recordOrder(t.app, events);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
  }
  const url = (t: TestApp) => `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const [A, B] = [url(a), url(b)];
  const request = browser(A);
  await request('/login');
  expect((await request('/login', { email: 'alice@example.com', password: 'correct horse battery staple' })).location).toBe('/login/code');
  await request('/login/code');
  const code = a.sim.lastCode('+15555550100') as string;
  events.length = 0;
  return { A, B, request, code, events };
}

describe('a Verify lock is released before the answer goes out', () => {
  it('a resend held back by the cooldown frees the lock first: the right code on the other instance signs in at once', async () => {
    const { B, request, code, events } = await twoInstances();
    expect((await request('/login/code/resend', {})).status).toBe(429);
    expect(events).toEqual(['released', 'sent POST /login/code/resend']);
    expect((await request(`${B}/login/code`, { code })).location).toBe('/');
  });

  it('a wrong code frees the lock first: the right code right after it on the other instance signs in', async () => {
    const { B, request, code, events } = await twoInstances();
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await request('/login/code', { code: wrong })).status).toBe(401);
    expect(events).toEqual(['released', 'sent POST /login/code']);
    expect((await request(`${B}/login/code`, { code })).location).toBe('/');
  });

  it('a wrong recovery code frees the lock first', async () => {
    const { request, events } = await twoInstances();
    expect((await request('/login/code', { code: '1234 5678 1234 5678' })).status).toBe(401);
    expect(events).toEqual(['released', 'sent POST /login/code']);
  });

  it('a cancel frees the lock before its redirect', async () => {
    const { request, events } = await twoInstances();
    expect((await request('/login/code/cancel', {})).location).toBe('/login');
    expect(events).toEqual(['released', 'sent POST /login/code/cancel']);
  });

  it('the right code frees the lock before its redirect', async () => {
    const { request, code, events } = await twoInstances();
    expect((await request('/login/code', { code })).location).toBe('/');
    expect(events).toEqual(['released', 'sent POST /login/code']);
  });
});
