// Issue 17, point 3: a user locked out by wrong passwords, unlocked by `npm run limits -- --clear`
// on a running app. Runs the command on the app's own backends (SQLite, PostgreSQL, PostgreSQL +
// Redis): it must read and delete the counters where the app keeps them.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLimitsCommand } from '../../src/commands/limits.ts';
import { ALICE, useTestApps } from '../helpers/test-app.ts';
import type { TestApp, TestClient } from '../helpers/test-app.ts';
import { auditRows } from '../helpers/audit.ts';
import { backendEnv, TEST_REDIS } from '../helpers/test-backend.ts';
import { withoutBackendsLine } from '../helpers/command-output.ts';
import { runCommand } from '../helpers/run-command.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** The command in this process (its spawned smoke test is in test/commands/limits.test.ts); what it printed. */
async function limitsCommand(t: TestApp, ...args: string[]) {
  const outcome = await runCommand(runLimitsCommand, args, await backendEnv(t.dir), REPO_ROOT);
  if (outcome.code !== 0) throw new Error(`npm run limits exited ${outcome.code}: ${outcome.stderr}`);
  return { backends: outcome.stdout.split('\n')[0], stdout: withoutBackendsLine(outcome).stdout };
}

const attempt = async (c: TestClient, password: string) => {
  await c.get('/login');
  return c.post('/login', { email: ALICE.email, password });
};

/** The --show table's row for a budget, as cells. */
const rowOf = (stdout: string, budget: string) =>
  stdout.split('\n').find((line) => line.startsWith(`${budget} `))?.split(/ {2,}/);

describe('npm run limits on a running app', () => {
  const start = useTestApps();

  it('shows a locked-out user’s spent password budget and when it frees, and --clear lets the right password through at once, audited', async () => {
    const t = await start({ api: 'v2' });
    const c = t.client();
    let locked;
    for (let tries = 0; tries < 20 && !locked; tries++) {
      const answer = await attempt(c, 'not the password');
      if (answer.statusCode === 429) locked = answer;
      else expect(answer.statusCode).toBe(401);
    }
    expect(locked?.statusCode).toBe(429);
    const retryAfter = Number(locked?.headers['retry-after']);
    expect((await attempt(c, ALICE.password)).statusCode).toBe(429); // the right password waits too

    const shown = await limitsCommand(t, '--show', ALICE.email);
    expect(shown.backends).toMatch(TEST_REDIS ? /sessions and counters: Redis / : /sessions and counters: in the database$/);
    const row = rowOf(shown.stdout, 'password-account-ip');
    expect(row?.slice(0, 4)).toEqual(['password-account-ip', 'email from 127.0.0.1', '5 of 5', 'REFUSING']);
    const [, inMinutes] = /^\S+Z \(in (\d+) minutes\)$/.exec(row?.[4] ?? '') ?? [];
    expect(Number(inMinutes)).toBe(Math.ceil(retryAfter / 60)); // the same wait the 429 named, in minutes
    expect(rowOf(shown.stdout, 'password-account')?.slice(2, 4)).toEqual(['5 of 15', 'open']);

    expect((await limitsCommand(t, '--clear', ALICE.email)).stdout).toMatch(
      /^cleared 2 budgets of alice@example\.com: password-account \(email\), password-account-ip \(email from 127\.0\.0\.1\)\n/,
    );
    expect((await attempt(c, ALICE.password)).headers.location).toBe('/login/code');
    const [audited] = (await auditRows(t)).filter((r) => r.event === 'limits-cleared-by-admin');
    expect(audited).toMatchObject({ detail: 'cleared=2', ip: 'local', user_agent: 'npm run limits -- --clear' });
    expect(audited.user_id).not.toBeNull();
  });
});
