// openPostgresBackend as the app uses it: two backends on one database stand for two app processes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackendUnavailable } from '../../../src/storage/unavailable.ts';
import { openPostgresBackend } from '../../../src/storage/postgres/backend.ts';
import type { PostgresBackend } from '../../../src/storage/postgres/backend.ts';
import { sessionRules } from '../../../src/signin/state.ts';
import { HASH, REPO_MIGRATIONS, sql, startOutageProxy, terminateConnections, useFreshDatabases } from './fresh-database.ts';

const HOUR = 60 * 60 * 1000;
const rules = sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * HOUR }, HOUR);
const from = { ip: '203.0.113.9', headers: { 'user-agent': 'Tests/1.0' } };

describe('PostgreSQL backend', () => {
  const freshDatabase = useFreshDatabases();
  let database: { name: string; url: string };
  let one: PostgresBackend;
  let two: PostgresBackend;
  const open = (url = database.url, limitOverrides = {}) =>
    openPostgresBackend(url, { rules, limitOverrides, migrationsDirs: [REPO_MIGRATIONS], poolSize: 4 });

  beforeAll(async () => {
    database = await freshDatabase();
    // Both instances start together on the fresh database.
    [one, two] = await Promise.all([open(), open()]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  it('comes up twice on a fresh database, the migrations applied by exactly one of them', () => {
    expect([...one.appliedMigrations, ...two.appliedMigrations].sort()).toEqual(['0001_init.sql', '0002_hardening.sql', '0003_account_recovery.sql', '0004_remembered_browsers_epoch.sql', '0005_password_hash_shape.sql', '0006_passkeys.sql']);
    expect(one.engine).toBe('postgres');
  });

  it('counts a limit exactly across two instances taking points at the same moment', async () => {
    const overrides = { 'send-account-hour': { points: 7, seconds: 3600 } };
    const [a, b] = await Promise.all([open(database.url, overrides), open(database.url, overrides)]);
    try {
      const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).limits.consume(['send-account-hour', 'acct-1'])));
      expect(verdicts.filter((v) => v.ok)).toHaveLength(7);
      expect(verdicts.filter((v) => !v.ok && v.first)).toHaveLength(1);
      const [row] = await sql<{ points: number }>(database.url, "SELECT points FROM rate_limits WHERE key LIKE 'send-account-hour:%'");
      expect(row.points).toBe(30);
      await a.limits.reset(['send-account-hour', 'acct-1']);
      expect((await b.limits.consume(['send-account-hour', 'acct-1'])).ok).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('creates, finds (any letter case), updates and hides disabled accounts', async () => {
    await one.createAccount({ email: 'Carol@Example.com', phone: '+15555550123', passwordHash: HASH });
    expect(await two.demoAccountExists('carol@example.COM')).toBe(true);
    const carol = await two.accounts.findByEmail('  CAROL@example.com ');
    expect(carol).toEqual({
      id: expect.any(Number),
      email: 'Carol@Example.com',
      phone: '+15555550123',
      passwordHash: HASH,
      sessionEpoch: expect.any(Number),
      mustChangePassword: true,
    });
    expect(await one.accounts.findById(carol!.id)).toEqual(carol);
    expect(await one.accounts.updatePasswordHash(carol!.id, `${HASH}2`, HASH)).toBe(true);
    expect((await two.accounts.findById(carol!.id))!.passwordHash).toBe(`${HASH}2`);
    expect(await one.accounts.findById(2 ** 40)).toBeUndefined();
    expect(await one.accounts.findByEmail(42 as unknown as string)).toBeUndefined();
    await expect(one.createAccount({ email: 'carol@example.com', phone: '+15555550124', passwordHash: HASH })).rejects.toThrow(/email_is_unique_ignoring_case/);
    await sql(database.url, 'UPDATE users SET disabled = 1 WHERE id = $1', [carol!.id]);
    expect(await one.accounts.findByEmail('carol@example.com')).toBeUndefined();
    expect(await one.accounts.findById(carol!.id)).toBeUndefined();
  });

  it('a rehash never undoes a password change made on another instance: it writes only over the hash it verified', async () => {
    await one.createAccount({ email: 'rehash@example.com', phone: '+15555550127', passwordHash: HASH });
    const account = (await one.accounts.findByEmail('rehash@example.com'))!;
    await sql(database.url, 'INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, 0, $3)', [
      'rehash-t1',
      account.id,
      Date.now() + 60_000,
    ]);
    // The owner's change commits between the sign-in's check of the old password and its rehash.
    expect(await two.accounts.changePassword(account.id, `${HASH}Chng`, HASH)).toEqual(expect.any(Number));
    expect(await one.accounts.updatePasswordHash(account.id, `${HASH}Rhsh`, HASH)).toBe(false);
    expect((await one.accounts.findById(account.id))!.passwordHash).toBe(`${HASH}Chng`);
    expect(await sql(database.url, 'SELECT 1 FROM remembered_browsers WHERE user_id = $1', [account.id])).toEqual([]);
    // Both at once, many times over: whichever commits first, the change is never overwritten.
    for (let i = 0; i < 10; i++) {
      const before = (await one.accounts.findById(account.id))!.passwordHash;
      const [, changed] = await Promise.all([
        one.accounts.updatePasswordHash(account.id, `${HASH}rr${i}r`, before),
        two.accounts.changePassword(account.id, `${HASH}cc${i}c`, before),
      ]);
      const after = (await two.accounts.findById(account.id))!.passwordHash;
      expect(after).toBe(changed === undefined ? `${HASH}rr${i}r` : `${HASH}cc${i}c`);
    }
  });

  it('changes a password once of two changes racing from two instances, clearing must_change_password and moving the epoch', async () => {
    await one.createAccount({ email: 'erin@example.com', phone: '+15555550126', passwordHash: HASH });
    const erin = (await one.accounts.findByEmail('erin@example.com'))!;
    expect(erin.mustChangePassword).toBe(true);
    const epochs = await Promise.all([one, two, one, two].map((b, i) => b.accounts.changePassword(erin.id, `${HASH}new${i}`, HASH)));
    const won = epochs.filter((epoch) => epoch !== undefined);
    expect(won).toHaveLength(1);
    const after = (await two.accounts.findById(erin.id))!;
    expect(after).toMatchObject({ mustChangePassword: false, sessionEpoch: won[0], passwordHash: `${HASH}new${epochs.indexOf(won[0])}` });
    expect(after.sessionEpoch).not.toBe(erin.sessionEpoch);
    await sql(database.url, 'UPDATE users SET disabled = 1 WHERE id = $1', [erin.id]);
    expect(await one.accounts.changePassword(erin.id, HASH, after.passwordHash)).toBeUndefined();
  });

  it('changes a phone once of changes racing from two instances, moving the epoch and forgetting remembered browsers in the same step', async () => {
    await one.createAccount({ email: 'fay@example.com', phone: '+15555550128', passwordHash: HASH });
    const fay = (await one.accounts.findByEmail('fay@example.com'))!;
    await sql(database.url, 'INSERT INTO remembered_browsers (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, 0, $3)', ['fay-t1', fay.id, Date.now() + 60_000]);
    const phones = ['+353851234567', '+447911123456', '+353861234567', '+447400123456'];
    const expected = { phone: fay.phone, sessionEpoch: fay.sessionEpoch };
    // An epoch moved since (a password change, "sign out everywhere") refuses the change.
    expect(await one.accounts.changePhone(fay.id, phones[0], { ...expected, sessionEpoch: fay.sessionEpoch + 1 })).toBeUndefined();
    const epochs = await Promise.all([one, two, one, two].map((b, i) => b.accounts.changePhone(fay.id, phones[i], expected)));
    const won = epochs.filter((epoch) => epoch !== undefined);
    expect(won).toHaveLength(1);
    const after = (await two.accounts.findById(fay.id))!;
    expect(after).toMatchObject({ phone: phones[epochs.indexOf(won[0])], sessionEpoch: won[0], passwordHash: HASH });
    expect(after.sessionEpoch).not.toBe(fay.sessionEpoch);
    expect(await sql(database.url, 'SELECT 1 FROM remembered_browsers WHERE user_id = $1', [fay.id])).toEqual([]);
    await sql(database.url, 'UPDATE users SET disabled = 1 WHERE id = $1', [fay.id]);
    expect(await one.accounts.changePhone(fay.id, fay.phone, { phone: after.phone, sessionEpoch: after.sessionEpoch })).toBeUndefined();
  });

  it('records audit events with ISO millisecond times, and prunes only those past retention', async () => {
    await one.createAccount({ email: 'dave@example.com', phone: '+15555550125', passwordHash: HASH });
    const dave = (await one.accounts.findByEmail('dave@example.com'))!;
    await one.audit.record('password-ok', from, { userId: dave.id });
    await two.audit.record('code-failed', { ip: '::1', headers: {} }, { userId: 999_999, detail: 'x'.repeat(3) });
    const rows = await sql(database.url, 'SELECT at, event, user_id, ip, user_agent, detail FROM audit_log ORDER BY id');
    expect(rows).toEqual([
      { at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), event: 'password-ok', user_id: dave.id, ip: from.ip, user_agent: 'Tests/1.0', detail: null },
      { at: expect.any(String), event: 'code-failed', user_id: null, ip: '::1', user_agent: null, detail: 'xxx' },
    ]);
    expect(Math.abs(Date.parse(rows[0].at as string) - Date.now())).toBeLessThan(60_000);
    await sql(database.url, "INSERT INTO audit_log (at, event) VALUES ('2000-01-01T00:00:00.000Z', 'signed-out')");
    expect(await one.pruneAudit(90)).toBe(1);
    expect(await one.pruneAudit(90)).toBe(0);
    await expect(one.pruneAudit(0)).rejects.toThrow(RangeError);
  });

  it('prunes a backlog larger than one batch, each batch a short statement', async () => {
    await sql(database.url, "INSERT INTO audit_log (at, event) SELECT '2001-01-01T00:00:00.000Z', 'signed-out' FROM generate_series(1, 12345)");
    await sql(database.url, 'INSERT INTO sessions (sid, data, expires_at) SELECT $1 || n, $2, 1 FROM generate_series(1, 6000) n', ['backlog-', '{}']);
    await sql(database.url, 'INSERT INTO ended_sessions (sid, ended_at) SELECT $1 || n, 1 FROM generate_series(1, 6000) n', ['backlog-']);
    await sql(database.url, 'INSERT INTO rate_limits (key, points, expire) SELECT $1 || n, 1, 1 FROM generate_series(1, 6000) n', ['backlog-']);
    expect(await one.pruneAudit(90)).toBe(12_345);
    await one.prune();
    const [left] = await sql(
      database.url,
      `SELECT (SELECT count(*)::int FROM sessions WHERE sid LIKE 'backlog-%') AS sessions,
        (SELECT count(*)::int FROM ended_sessions WHERE sid LIKE 'backlog-%') AS tombstones,
        (SELECT count(*)::int FROM rate_limits WHERE key LIKE 'backlog-%') AS counters`,
    );
    expect(left).toEqual({ sessions: 0, tombstones: 0, counters: 0 });
  });

  it('prunes expired sessions, old tombstones and expired counters', async () => {
    await sql(database.url, "INSERT INTO sessions (sid, data, expires_at) VALUES ('gone', '{}', 1), ('kept', '{}', $1)", [Date.now() + HOUR]);
    await sql(database.url, "INSERT INTO ended_sessions (sid, ended_at) VALUES ('old', 1)");
    await sql(database.url, "INSERT INTO rate_limits (key, points, expire) VALUES ('old-counter', 3, 1)");
    await two.prune();
    expect(await sql(database.url, "SELECT sid FROM sessions WHERE sid IN ('gone', 'kept')")).toEqual([{ sid: 'kept' }]);
    expect(await sql(database.url, "SELECT * FROM ended_sessions WHERE sid = 'old'")).toEqual([]);
    expect(await sql(database.url, "SELECT * FROM rate_limits WHERE key = 'old-counter'")).toEqual([]);
  });

  it('works again after its connections are terminated, failing at most once with an unavailable error', async () => {
    const sid = 'survivor';
    await new Promise<void>((resolve, reject) => one.sessions.set(sid, { cookie: { expires: null, originalMaxAge: null } } as never, (e) => (e ? reject(e) : resolve())));
    await one.ping();
    expect(await terminateConnections(database.name)).toBeGreaterThan(0);
    const outcomes: unknown[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(await one.sessions.isLive(sid).catch((error: unknown) => error));
    const failures = outcomes.filter((outcome) => outcome instanceof Error);
    expect(failures.length).toBeLessThanOrEqual(1);
    for (const failure of failures) expect(isBackendUnavailable(failure)).toBe(true);
    expect(outcomes.at(-1)).toBe(true);
    await one.ping();
    expect((await one.limits.consume(['code-ip', 'after-terminate'])).ok).toBe(true);
  });

  it('answers 503-style errors while PostgreSQL is away, and works again when it is back, with no restart', async () => {
    const proxy = await startOutageProxy();
    const viaProxy = database.url.replace(/:\d+\//, `:${proxy.port}/`);
    const backend = await open(viaProxy);
    try {
      expect(await backend.accounts.findById(1)).toBeUndefined();
      await proxy.stop(); // connections cut, new ones refused
      const failures = await Promise.all([
        backend.ping().catch((e: unknown) => e),
        backend.limits.consume(['code-ip', 'outage']).catch((e: unknown) => e),
        backend.accounts.findById(1).catch((e: unknown) => e),
        backend.audit.record('signed-out', from).catch((e: unknown) => e),
        backend.sessions.endWithSuccessors('x').catch((e: unknown) => e),
        new Promise((resolve) => backend.sessions.get('x', (error) => resolve(error))),
        new Promise((resolve) => backend.sessions.set('x', { cookie: { expires: null } } as never, (error) => resolve(error))),
      ]);
      for (const failure of failures) expect(isBackendUnavailable(failure), String(failure)).toBe(true);
      await proxy.start();
      await backend.ping();
      expect((await backend.limits.consume(['code-ip', 'outage'])).ok).toBe(true);
    } finally {
      await backend.close();
      await proxy.stop();
    }
    await backend.close(); // twice is fine (shutdown racing a failed start)
    await expect(backend.ping()).rejects.toSatisfy(isBackendUnavailable);
  });

  it('fails requests within about 3 s, as unavailable, when PostgreSQL stops answering (a partition), and recovers', async () => {
    const proxy = await startOutageProxy();
    const viaProxy = database.url.replace(/:\d+\//, `:${proxy.port}/`);
    const backend = await open(viaProxy);
    try {
      // Connections already open and idle in the pool, and new ones to open: both must give up.
      await Promise.all([backend.ping(), backend.accounts.findById(1), backend.sessions.isLive('x')]);
      proxy.freeze(); // bytes accepted, never forwarded, never answered
      const timed = async (work: () => Promise<unknown>) => {
        const started = performance.now();
        const outcome = await work().then(
          () => 'answered',
          (error: unknown) => error,
        );
        return { outcome, ms: performance.now() - started };
      };
      const results = await Promise.all([
        timed(() => backend.accounts.findById(1)),
        timed(() => backend.accounts.findByEmail('a@example.com')),
        timed(() => backend.limits.consume(['code-ip', 'frozen'])),
        timed(() => backend.audit.record('signed-out', from)),
        timed(() => backend.sessions.isLive('x')),
        timed(() => new Promise((resolve, reject) => backend.sessions.get('x', (error) => (error ? reject(error) : resolve(null))))),
        timed(() => new Promise((resolve, reject) => backend.sessions.set('x', { cookie: { expires: null } } as never, (error) => (error ? reject(error) : resolve(null))))),
        timed(() => backend.prune()),
      ]);
      for (const { outcome, ms } of results) {
        expect(isBackendUnavailable(outcome), String(outcome)).toBe(true);
        expect(ms).toBeLessThan(4000);
      }
      proxy.thaw();
      await backend.ping();
      expect((await backend.limits.consume(['code-ip', 'frozen'])).ok).toBe(true);
      expect(await backend.sessions.isLive('x')).toBe(false);
    } finally {
      await backend.close();
      await proxy.stop();
    }
  });

  it('gives up on a row lock held elsewhere within about 2 s, as unavailable', async () => {
    const [{ id, password_hash: current }] = await sql<{ id: number; password_hash: string }>(
      database.url,
      'SELECT id, password_hash FROM users ORDER BY id LIMIT 1',
    );
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('UPDATE users SET updated_at = now() WHERE id = $1', [id]);
      const started = performance.now();
      const error = await one.accounts.updatePasswordHash(id, HASH, current).catch((e: unknown) => e);
      const ms = performance.now() - started;
      expect(isBackendUnavailable(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/lock timeout/);
      expect(ms).toBeGreaterThan(1500);
      expect(ms).toBeLessThan(3000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('refuses to start, in one clear line, when the server cannot be reached', async () => {
    const nowhere = database.url.replace(/:\d+\//, ':1/'); // nothing listens on port 1
    await expect(open(nowhere)).rejects.toThrow(/^could not connect to PostgreSQL to apply migrations: connect ECONNREFUSED 127\.0\.0\.1:1$/);
  });
});
