import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHashPasswordCommand } from '../../src/commands/hash-password.ts';
import { setPasswordHashCostForTests, verifyPassword } from '../../src/accounts/passwords.ts';
import { TEST_HASH_COST } from '../cheap-password-hashing.ts';
import { nodeTs } from '../helpers/node-ts.ts';

const COMMAND = path.resolve(import.meta.dirname, '../../src/commands/hash-password.ts');
const ARGON2ID_HASH = /^\$argon2id\$v=19\$[^$\s]+\$[^$\s]+\$[^$\s]+$/;

type Outcome = { code: number | null; stdout: string; stderr: string };

/** Runs the command in this process with `input` as its stdin, as `echo pw | npm run hash-password` would. */
async function hashPiped(input: string): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await runHashPasswordCommand({
    stdin: Readable.from([input]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

// The spawned command (the terminal tests below, its smoke tests) and the in-process one hash at
// the production cost; needsRehash: false below checks it against the production parameters,
// not the tests' cheap ones (test/cheap-password-hashing.ts).
beforeAll(() => setPasswordHashCostForTests());
afterAll(() => setPasswordHashCostForTests(TEST_HASH_COST));

describe('npm run hash-password, piped', () => {
  it('prints only an argon2id hash of the first line, which verifyPassword accepts', async () => {
    const { code, stdout, stderr } = await hashPiped('correct horse battery\n');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^\S+\n$/);
    const hash = stdout.trimEnd();
    expect(hash).toMatch(ARGON2ID_HASH);
    expect(await verifyPassword(hash, 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
  });

  it('strips only the line ending: spaces belong to the password, later lines do not', async () => {
    const spaced = (await hashPiped('  spaced out  \r\nsecond line\n')).stdout.trimEnd();
    expect((await verifyPassword(spaced, '  spaced out  ')).ok).toBe(true);
    expect((await verifyPassword(spaced, 'spaced out')).ok).toBe(false);

    const noNewline = (await hashPiped('no newline at end')).stdout.trimEnd();
    expect((await verifyPassword(noNewline, 'no newline at end')).ok).toBe(true);
  });

  it('runs as a Node process, as npm run hash-password starts it: a piped password gives its hash', async () => {
    const outcome = await new Promise<Outcome>((resolve, reject) => {
      const child = spawn(process.execPath, nodeTs(COMMAND), { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end('correct horse battery\n');
    });
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(await verifyPassword(outcome.stdout.trimEnd(), 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
  });

  it('refuses an empty password with exit 1 and no hash', async () => {
    for (const input of ['\n', '']) {
      const outcome = await hashPiped(input);
      expect(outcome).toEqual({ code: 1, stdout: '', stderr: 'hash-password: the password is empty\n' });
    }
  });

  it('refuses a password under 8 characters with exit 1 and no hash', async () => {
    expect(await hashPiped('seven77\n')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'hash-password: the password is 7 characters long; use at least 8\n',
    });
    expect((await hashPiped('eight888\n')).code).toBe(0);
  });
});

// `script` (util-linux) gives the command a real terminal, so raw mode and echo can be observed.
const hasScript = spawnSync('script', ['--version']).status === 0;

/** Types each answer once its prompt appears; returns everything the terminal showed. */
function hashOnTerminal(answers: [prompt: string, keys: string][]): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, ...nodeTs(COMMAND)].map((part) => JSON.stringify(part)).join(' ');
    const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { stdio: 'pipe' });
    const pending = [...answers];
    let screen = '';
    let seen = 0; // each prompt is looked for only after the previous one
    child.stdout.on('data', (chunk) => {
      screen += chunk;
      const next = pending[0];
      const at = next ? screen.indexOf(next[0], seen) : -1;
      if (next && at !== -1) {
        seen = at + next[0].length;
        pending.shift();
        child.stdin.write(next[1]);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
    setTimeout(() => child.kill(), 15_000).unref();
  });
}

describe.skipIf(!hasScript)('npm run hash-password, on a terminal', () => {
  it('asks twice without echoing, honours backspace, and prints a hash of what was meant', async () => {
    const { code, screen } = await hashOnTerminal([
      ['Password: ', 'hunter22x\u007f!\r'],
      ['Again: ', 'hunter22!\r'],
    ]);
    expect(code).toBe(0);
    expect(screen).not.toContain('hunter');
    const hash = /\$argon2id\$\S+/.exec(screen)?.[0] ?? '';
    expect(hash).toMatch(ARGON2ID_HASH);
    expect((await verifyPassword(hash, 'hunter22!')).ok).toBe(true);
  });

  it('refuses when the second entry does not match', async () => {
    const { code, screen } = await hashOnTerminal([
      ['Password: ', 'hunter22!\r'],
      ['Again: ', 'hunter23!\r'],
    ]);
    expect(code).toBe(1);
    expect(screen).toContain('do not match');
    expect(screen).not.toContain('$argon2');
  });

  it('stops on Ctrl-C without printing a hash', async () => {
    const { code, screen } = await hashOnTerminal([['Password: ', 'hunter22!\u0003']]);
    expect(code).toBe(130);
    expect(screen).toContain('cancelled');
    expect(screen).not.toContain('$argon2');
  });
});
