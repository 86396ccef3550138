// The real `node src/server.ts` in demo mode, as `npm start` runs it on a fresh machine: no Vonage
// settings, a temporary folder as working directory (its `data/` and database land there), and the
// codes read from the server's log the way the README tells a user to.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/server-process.ts';
import { nodeTs } from '../helpers/node-ts.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
/** Settings that would take the server out of demo mode, or somewhere else, if inherited. */
const INHERITED_SETTINGS = /^(VONAGE_|VERIFY_|NODE_ENV$|SESSION_SECRET$|DATABASE_URL$|MIGRATIONS_DIR$|HOST$|PORT$|LOG_LEVEL$|TRUST_PROXY$)/;
const CODE_IN_LOG = /\bcode\b\D*?(\d{4,10})\b/;

export interface DemoServer {
  base: string;
  dir: string;
  /** Every log line the server wrote to stdout. */
  output: string[];
  /** Codes found in the log so far, oldest first. */
  codes: string[];
  /** Waits until the log holds more than `seen` codes and returns the newest. */
  nextCode(seen: number): Promise<string>;
  close(): Promise<void>;
}

export async function startDemoServer(): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'signin-e2e-demo-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!INHERITED_SETTINGS.test(name)) env[name] = value;
  Object.assign(env, {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(dir, 'data', 'app.db')}`,
    MIGRATIONS_DIR: join(REPO, 'migrations'),
  });
  const child = spawn(process.execPath, nodeTs(join(REPO, 'src', 'server.ts')), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const errors: string[] = [];
  const codes: string[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      output.push(line);
      const found = CODE_IN_LOG.exec(logMessage(line));
      if (found) codes.push(found[1]);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => void errors.push(chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const base = `http://127.0.0.1:${port}`;
  const server: DemoServer = {
    base,
    dir,
    output,
    codes,
    async nextCode(seen) {
      await until(() => codes.length > seen, 5000, () => `no code in the server log:\n${output.join('\n')}`);
      return codes[codes.length - 1];
    },
    async close() {
      await stop(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilHealthy(base, child, errors);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/** pino writes JSON lines: look for the code in the message, not in the timestamp or pid. */
function logMessage(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : '';
  } catch {
    return line;
  }
}

async function waitUntilHealthy(base: string, child: ChildProcess, errors: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the demo server exited (${child.exitCode}): ${errors.join('')}`);
    const ok = await fetch(`${base}/healthz`).then((res) => res.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the demo server did not answer /healthz: ${errors.join('')}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function until(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(describe());
    await sleep(50);
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}
