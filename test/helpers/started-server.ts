// src/server.ts's startServer in the test's own process: a fresh SQLite file in the test's folder,
// port 0 unless given, what it writes to stderr and what it logs kept for the test; every app it
// started is closed after the test.
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { MIGRATIONS } from './server-process.ts';
import { startServer } from '../../src/server.ts';

export async function startInProcess(dir: string, env: Record<string, string>) {
  let stderr = '';
  let log = '';
  const base = { PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'app.db')}`, MIGRATIONS_DIR: MIGRATIONS };
  const result = await startServer({ ...base, ...env }, { write: (text: string) => (stderr += text) }, { logStream: { write: (line) => (log += line) } });
  if ('app' in result) onTestFinished(() => result.app.close());
  return { result, stderr: () => stderr, log: () => log };
}
