// `npm run sessions` on the backends the run names (PostgreSQL, and Redis in `npm run test:redis`):
// it reads the sessions where the app keeps them and ends them there, for good. The flags, the
// output and the failures are tested on SQLite in test/commands/sessions.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBackends } from '../../../src/storage/backends.ts';
import { parseDatabaseUrl } from '../../../src/storage/database-url.ts';
import { sessionRules } from '../../../src/signin/state.ts';
import { runSessionsCommand } from '../../../src/commands/sessions.ts';
import { removeAfterTest } from '../../helpers/temp-dir.ts';
import { HASH } from '../postgres/fresh-database.ts';
import { getSession, HOUR, inAnHour, setSession } from '../../helpers/session-calls.ts';
import { backendEnv, sqlOn, TEST_REDIS } from '../../helpers/test-backend.ts';
import { withoutBackendsLine } from '../../helpers/command-output.ts';
import { runCommand } from '../../helpers/run-command.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** The command in this process (its spawned smoke test is in test/commands/sessions.test.ts). */
const sessions = async (args: string[], env: Record<string, string>) => withoutBackendsLine(await runCommand(runSessionsCommand, args, env, REPO_ROOT));

describe(`npm run sessions on ${TEST_REDIS ? 'PostgreSQL + Redis' : 'the database'}`, () => {
  it('lists an account’s sessions from where the app keeps them, and --revoke ends them there for good', async () => {
    const dir = removeAfterTest(mkdtempSync(join(tmpdir(), 'signin-test-')));
    const env = await backendEnv(dir);
    const backends = await openBackends(
      { database: parseDatabaseUrl(env.DATABASE_URL), migrationsDirs: [join(REPO_ROOT, 'migrations')], redisUrl: env.REDIS_URL, redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'signin:' },
      { rules: sessionRules({ idleMs: 30 * 60_000, maxMs: 12 * HOUR }, HOUR), limitOverrides: {} },
    );
    try {
      await backends.database.createAccount({ email: 'alice@example.com', phone: '+15555550100', passwordHash: HASH });
      await backends.database.createAccount({ email: 'bob@example.com', phone: '+15555550199', passwordHash: HASH });
      const alice = (await backends.database.accounts.findByEmail('alice@example.com'))!.id;
      const bob = (await backends.database.accounts.findByEmail('bob@example.com'))!.id;
      await sqlOn(dir, 'UPDATE users SET session_epoch = 1'); // the epoch the sessions below were signed in under
      const store = backends.state.sessions;
      const now = Date.now();
      const signedIn = (userId: number) => ({ signedIn: { userId, epoch: 1, signedInAt: now - HOUR, seenAt: now - 60_000, address: '192.0.2.10', userAgent: FIREFOX, handle: 'SECRET-HANDLE' } });
      await setSession(store, 'SECRET-SID-a1', inAnHour(signedIn(alice)));
      await setSession(store, 'SECRET-SID-a2', inAnHour({ pending: { userId: alice, epoch: 1, renewedAt: now }, verifyCode: { requestId: 'SECRET-REQUEST', sentAt: now } }));
      await setSession(store, 'SECRET-SID-b1', inAnHour(signedIn(bob)));
      if (TEST_REDIS) expect(await sqlOn(dir, 'SELECT sid FROM sessions')).toEqual([]); // only Redis holds them

      const listed = await sessions(['--list', 'Alice@Example.com'], env);
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/ {2,}/))).toEqual([
        ['signed in', expect.stringMatching(/Z$/), expect.stringMatching(/Z$/), '192.0.2.10', 'Firefox 133 on Linux'],
        ['pending', expect.stringMatching(/Z$/), '-', '-', '-'],
        ['2 sessions for alice@example.com'],
      ]);
      expect(listed.stdout).not.toContain('SECRET');

      expect(await sessions(['--revoke', 'alice@example.com'], env)).toEqual({ code: 0, stdout: 'ended 2 sessions and forgot 0 remembered browsers of alice@example.com\n', stderr: '' });
      expect(await store.listForAccount(alice)).toEqual([]);
      // a request still holding one cannot write it back
      await setSession(store, 'SECRET-SID-a1', inAnHour(signedIn(alice)));
      expect(await getSession(store, 'SECRET-SID-a1')).toBeNull();
      expect(await store.isLive('SECRET-SID-b1')).toBe(true);
      expect((await sessions(['--list', 'bob@example.com'], env)).stdout).toMatch(/\n1 session for bob@example\.com\n$/);
      expect(await sessions(['--list', 'nobody@example.com'], env)).toEqual({ code: 1, stdout: '', stderr: 'sessions: no account has the email nobody@example.com\n' });
    } finally {
      await backends.close();
    }
  });
});
