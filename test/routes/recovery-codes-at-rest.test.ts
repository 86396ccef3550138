// Plain recovery codes never reach a store: between the code step's 303 and the page that shows
// them they wait in the session sealed (AES-256-GCM), their key only in the browser's short-lived
// codes-key cookie. Scanned here: every table's rows, SQLite's files (its WAL too), the Redis keys
// the app wrote, the log. Runs on each backend the environment names (test/helpers/test-backend.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { TEST_DATABASE, TEST_REDIS } from '../helpers/test-backend.ts';
import { expectCodesPanel, expectNoCodes, pendingClient } from '../helpers/recovery-codes.ts';

/** Every row of every table, as text. */
async function allRows(t: TestApp): Promise<string> {
  const tables =
    TEST_DATABASE === 'postgres'
      ? await t.sql("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
      : await t.sql("SELECT name FROM sqlite_master WHERE type = 'table'");
  const dumps = await Promise.all(tables.map(async ({ name }) => JSON.stringify(await t.sql(`SELECT * FROM "${String(name)}"`))));
  return dumps.join('\n');
}

/** Every Redis key the app wrote (under its test prefix) and its value, as text. */
async function redisData(t: TestApp): Promise<string> {
  if (!TEST_REDIS) return '';
  const prefix = JSON.parse(readFileSync(join(t.dir, '.test-backend.json'), 'utf8')).redisPrefix as string;
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    const values = await Promise.all(
      keys.map(async (key) => {
        const type = await redis.type(key);
        if (type === 'string') return redis.getBuffer(key);
        if (type === 'hash') return JSON.stringify(await redis.hgetall(key));
        if (type === 'zset') return JSON.stringify(await redis.zrange(key, '0', '-1'));
        if (type === 'set') return JSON.stringify(await redis.smembers(key));
        if (type === 'list') return JSON.stringify(await redis.lrange(key, 0, -1));
        return `${key}: ${type}`;
      }),
    );
    return keys.join('\n') + values.map(String).join('\n');
  } finally {
    redis.disconnect();
  }
}

/** SQLite's database file, its WAL and shared memory, byte for byte (latin1: digits stay digits). */
function sqliteFiles(t: TestApp): string {
  if (TEST_DATABASE !== 'sqlite') return '';
  return ['app.db', 'app.db-wal', 'app.db-shm']
    .map((name) => join(t.dir, name))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString('latin1'))
    .join('\n');
}

function expectNoPlainCode(where: string, text: string, codes: string[]): void {
  for (const code of codes) {
    expect(text.includes(code.replaceAll(' ', '')), `${where} holds a plain recovery code`).toBe(false);
    expect(text.includes(code), `${where} holds a plain recovery code (grouped)`).toBe(false);
  }
}

describe('recovery codes at rest', () => {
  const start = useTestApps();

  it('no store, file, Redis key, audit row or log line ever holds a plain code: the session keeps them sealed, the key only in the browser', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const c = await pendingClient(t);
    const done = await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string });
    expect(done.statusCode).toBe(303);
    // The key: HttpOnly, for the whole site, ten minutes at most.
    const keyCookie = done.cookies.find((cookie) => cookie.name === 'codes-key');
    expect(keyCookie).toMatchObject({ httpOnly: true, path: '/', sameSite: 'Lax' });
    expect(keyCookie!.maxAge).toBeLessThanOrEqual(600);
    expect(keyCookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // While the codes wait for their page, what the stores hold.
    const waiting = { rows: await allRows(t), redis: await redisData(t), files: sqliteFiles(t) };
    // Served by another instance on the same stores: the browser's key opens them there.
    const other = await start({ api: 'v2', dir: t.dir, sim: t.sim });
    const browser = other.client();
    browser.jar.copyFrom(c.jar);
    const page = await browser.get('/');
    expect(page.statusCode).toBe(200);
    const codes = expectCodesPanel(page.body);
    expect(page.cookies.find((cookie) => cookie.name === 'codes-key')?.value).toBe(''); // cleared
    expect(browser.jar.cookies['codes-key']).toBeUndefined();
    expectNoCodes((await browser.get('/')).body);

    expectNoPlainCode('a table row, while waiting', waiting.rows, codes);
    expectNoPlainCode('a Redis key, while waiting', waiting.redis, codes);
    expectNoPlainCode('a SQLite file or its WAL, while waiting', waiting.files, codes);
    expectNoPlainCode('a table row, after', await allRows(t), codes);
    expectNoPlainCode('a Redis key, after', await redisData(t), codes);
    expectNoPlainCode('a SQLite file or its WAL, after', sqliteFiles(t), codes);
    expectNoPlainCode('the log', [...t.logs, ...other.logs].join('\n'), codes);
  });

  it('the session alone opens nothing: a browser holding the session cookie but not the key sees no codes', async () => {
    const t = await start({ api: 'v2' });
    await t.sql('DELETE FROM recovery_codes');
    const c = await pendingClient(t);
    expect((await c.post('/login/code', { code: t.sim.lastCode(ALICE.phone) as string })).statusCode).toBe(303);
    const thief = t.client();
    thief.jar.copyFrom(c.jar);
    thief.jar.set('codes-key=; Max-Age=0; Path=/');
    const page = await thief.get('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(ALICE.email);
    expectNoCodes(page.body);
    expect(t.logs.join('\n')).toContain('new recovery codes could not be shown');
  });
});
