import path from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/storage/sqlite/connection.ts';
import { applyMigrations } from '../../../src/storage/migrations.ts';
import { createSqliteSessionStore } from '../../../src/storage/sqlite/session-store.ts';
import { sessionRules } from '../../../src/signin/state.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

// The store as @fastify/session really drives it: its Session and Cookie objects, its expiry check.

const REPO_MIGRATIONS = path.resolve(import.meta.dirname, '../../../migrations');
const HOUR = 60 * 60 * 1000;

declare module 'fastify' {
  interface Session {
    visits?: number;
  }
}

describe('SQLite session store behind @fastify/session', () => {
  const tempDir = useTempDir();
  const SECRET = 'a-test-secret-of-at-least-32-characters!';

  /** A tiny app counting visits in the session, on a store in `file`. */
  async function buildCounterApp(file: string, maxAge = HOUR) {
    const db = openDatabase(file);
    applyMigrations(db, [REPO_MIGRATIONS]);
    const store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * 60 * 60 * 1000 }, HOUR));
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: SECRET,
      store,
      saveUninitialized: false,
      cookie: { secure: false, maxAge },
    });
    app.post('/visit', async (request) => {
      request.session.visits = (request.session.visits ?? 0) + 1;
      return { visits: request.session.visits };
    });
    app.post('/logout', async (request) => {
      await request.session.destroy();
      return { ok: true };
    });
    app.addHook('onClose', async () => {
      db.close();
    });
    return { app, db };
  }

  it('carries a session across requests and across a restart on the same file', async () => {
    const file = path.join(tempDir(), 'app.db');
    const first = await buildCounterApp(file);
    const one = await first.app.inject({ method: 'POST', url: '/visit' });
    const cookie = one.cookies.find((c) => c.name === 'sessionId')!;
    expect(cookie.value).toBeTruthy();
    const two = await first.app.inject({ method: 'POST', url: '/visit', cookies: { sessionId: cookie.value } });
    expect(two.json()).toEqual({ visits: 2 });
    await first.app.close();

    const second = await buildCounterApp(file);
    const three = await second.app.inject({ method: 'POST', url: '/visit', cookies: { sessionId: cookie.value } });
    expect(three.json()).toEqual({ visits: 3 });
    await second.app.close();
  });

  it('starts over when the stored session has expired', async () => {
    const { app, db } = await buildCounterApp(path.join(tempDir(), 'app.db'));
    const one = await app.inject({ method: 'POST', url: '/visit' });
    const sessionId = one.cookies.find((c) => c.name === 'sessionId')!.value;
    db.prepare('UPDATE sessions SET expires_at = ?').run(Date.now() - 1);
    const two = await app.inject({ method: 'POST', url: '/visit', cookies: { sessionId } });
    expect(two.json()).toEqual({ visits: 1 });
    await app.close();
  });

  it('destroys the session server-side on logout', async () => {
    const { app, db } = await buildCounterApp(path.join(tempDir(), 'app.db'));
    const one = await app.inject({ method: 'POST', url: '/visit' });
    const sessionId = one.cookies.find((c) => c.name === 'sessionId')!.value;
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
    await app.inject({ method: 'POST', url: '/logout', cookies: { sessionId } });
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    const two = await app.inject({ method: 'POST', url: '/visit', cookies: { sessionId } });
    expect(two.json()).toEqual({ visits: 1 });
    await app.close();
  });

  it('stores the row with the cookie’s own expiry (maxAge)', async () => {
    const { app, db } = await buildCounterApp(path.join(tempDir(), 'app.db'), 5 * 60 * 1000);
    const before = Date.now();
    await app.inject({ method: 'POST', url: '/visit' });
    const expiresAt = db.prepare('SELECT expires_at FROM sessions').pluck().get() as number;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 5 * 60 * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 5 * 60 * 1000);
    await app.close();
  });
});
