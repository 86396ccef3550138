// What an operator and a user see of an outage (issue 17): the 503 page keeps its stylesheet,
// because static files never load a session (a Redis of the test's own is stopped while a browser
// holds a session cookie), and the log says when a lost backend is back, as it says when it went.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, seededDir, useTestApps } from '../../helpers/test-app.ts';
import type { TestApp } from '../../helpers/test-app.ts';
import { freePort } from '../../helpers/server-process.ts';
import { backendEnv } from '../../helpers/test-backend.ts';
import { removeAfterTest } from '../../helpers/temp-dir.ts';
import { startOutageProxy } from '../postgres/fresh-database.ts';
import { eventually, startRedis, stopRedis } from '../redis/own-redis-server.ts';

const REDIS_PASSWORD = 'outage-looks-secret-3141';

/** The messages the app logged, in order. */
const messages = (t: TestApp): string[] => t.logs.map((line) => (JSON.parse(line) as { msg: string }).msg);

async function healthy(t: TestApp): Promise<void> {
  const res = await t.app.inject({ method: 'GET', url: '/healthz' });
  expect(res.statusCode, res.body).toBe(200);
}

describe('outages, as they look', () => {
  const startApp = useTestApps();
  let redis: ChildProcess | undefined;
  afterEach(async () => {
    if (redis) await stopRedis(redis);
    redis = undefined;
  });

  it('serves the stylesheet and script to a signed-in browser while Redis is down, so the 503 page is styled; logs the loss and the return', async () => {
    const port = await freePort();
    redis = await startRedis(port, REDIS_PASSWORD);
    const t = await startApp({ api: 'v2', env: { REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'looks:' } });
    const c = t.client();
    expect((await c.signIn(t.sim)).headers.location).toBe('/');
    expect(c.sessionId()).toBeDefined();

    await stopRedis(redis);
    redis = undefined;

    const page = await c.get('/');
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('Temporarily unavailable');
    expect(page.body).toContain('href="/static/app.css"');
    for (const file of ['/static/app.css', '/static/code-page.js']) {
      const res = await c.get(file);
      expect(res.statusCode, `${file}: ${res.body.slice(0, 200)}`).toBe(200);
      expect(res.headers['set-cookie'], file).toBeUndefined();
    }
    expect((await c.get('/static/app.css')).headers['content-type']).toMatch(/^text\/css/);
    expect((await c.get('/static/no-such-file.css')).statusCode).toBe(404);
    await eventually(async () => expect(messages(t)).toContain('redis connection lost'), 5000);
    expect(messages(t)).not.toContain('redis connection restored');

    redis = await startRedis(port, REDIS_PASSWORD);
    await eventually(() => healthy(t), 5000);
    await eventually(async () => expect(messages(t)).toContain('redis connection restored'), 5000);
    const logged = messages(t);
    expect(logged.indexOf('redis connection restored')).toBeGreaterThan(logged.indexOf('redis connection lost'));
    expect(logged.filter((m) => m === 'redis connection restored')).toHaveLength(1);
    expect(t.logs.join('')).not.toContain(REDIS_PASSWORD);
  });

  it('logs once that PostgreSQL is lost when it cannot be reached, and once that it is back', async () => {
    const proxy = await startOutageProxy();
    try {
      const dir = removeAfterTest(await seededDir());
      const direct = (await backendEnv(dir)).DATABASE_URL;
      const viaProxy = Object.assign(new URL(direct), { port: String(proxy.port) }).href;
      const t = await startApp({ api: 'v2', dir, env: { DATABASE_URL: viaProxy } });
      await healthy(t);

      await proxy.stop();
      for (let i = 0; i < 3; i++) {
        expect((await t.client().post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(503);
      }
      expect(messages(t).filter((m) => m === 'database connection lost')).toHaveLength(1);
      expect(messages(t)).not.toContain('database connection restored');

      await proxy.start();
      await eventually(() => healthy(t), 5000);
      expect((await t.client().post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(303);
      const logged = messages(t);
      expect(logged.filter((m) => m === 'database connection restored')).toHaveLength(1);
      expect(logged.indexOf('database connection restored')).toBeGreaterThan(logged.indexOf('database connection lost'));
    } finally {
      await proxy.stop();
    }
  });
});
