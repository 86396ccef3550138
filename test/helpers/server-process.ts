// Real server processes (`node src/server.ts`) for tests: each in a fresh folder, killed and
// removed after each test; a tiny fetch-based browser with a cookie jar and the last CSRF token;
// and the tests' one freePort.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCookieJar } from './cookie-jar.ts';
import { compileCacheEnv, nodeTs } from './node-ts.ts';

export const SERVER = resolve('src/server.ts');
export const MIGRATIONS = resolve('migrations');
/**
 * A timeout for a test that starts server processes: each hashes at the production cost and shares
 * the cores with the other test worker; on a loaded 2-core machine a start alone took over 10 s.
 */
export const SPAWNED_SERVER_TEST_MS = 60_000;
const running: ChildProcessWithoutNullStreams[] = [];
/** Folders removed after each test (a test may add its own). */
export const folders: string[] = [];
// Registered for every test file by test/stop-servers.ts (a setup file): with `isolate: false`
// this module is evaluated once per worker, so a hook registered here would cover only the first
// file that imports it.
export async function stopServersAndRemoveFolders(): Promise<void> {
  const stillRunning = running.splice(0).filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    stillRunning.map((child) => {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGKILL');
      return exited;
    }),
  );
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A TCP port on 127.0.0.1 that nothing listens on (the OS's pick, closed again for the caller to take). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Starts `node src/server.ts` in a fresh folder with only the given environment. */
export function startServer(env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'signin-server-'));
  folders.push(cwd);
  const child = spawn(process.execPath, nodeTs(SERVER), { cwd, env: { PATH: process.env.PATH ?? '', ...compileCacheEnv(), MIGRATIONS_DIR: MIGRATIONS, ...env } });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  // 30 s: a start on a loaded 2-core machine, beside the other test worker, has taken over 10 s.
  const waitFor = async (pattern: RegExp, ms = 30_000) => {
    for (const start = Date.now(); Date.now() - start < ms; await new Promise((r) => setTimeout(r, 50))) {
      const match = pattern.exec(stdout);
      if (match) return match;
    }
    throw new Error(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`);
  };
  return { child, cwd, exited, waitFor, output: () => ({ stdout, stderr }) };
}

/** fetch with a cookie jar (`request.jar`) and the CSRF token of the last page. */
export function browser(base: string) {
  const jar = createCookieJar(base);
  let csrf = '';
  const request = async (path: string, form?: Record<string, string>) => {
    // A full URL sends this request to another instance (another port, the same host: the same cookies).
    const url = new URL(path, base).href;
    const res = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(url), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams({ _csrf: csrf, ...form }) : undefined,
    });
    jar.storeHeaders(url, res.headers.getSetCookie());
    const body = await res.text();
    csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? csrf;
    return { status: res.status, location: res.headers.get('location'), body };
  };
  return Object.assign(request, { jar });
}

