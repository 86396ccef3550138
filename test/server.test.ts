// The real server process: demo mode from nothing, one-line config errors, graceful shutdown.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, SESSION_SECRET, startTestApp } from './helpers/test-app.ts';

const SERVER = resolve('src/server.ts');
const MIGRATIONS = resolve('migrations');
const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Starts `node src/server.ts` in a fresh folder with only the given environment. */
function startServer(env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'signin-server-'));
  const child = spawn(process.execPath, [SERVER], { cwd, env: { PATH: process.env.PATH ?? '', MIGRATIONS_DIR: MIGRATIONS, ...env } });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const waitFor = async (pattern: RegExp, ms = 10_000) => {
    for (const start = Date.now(); Date.now() - start < ms; await new Promise((r) => setTimeout(r, 50))) {
      const match = pattern.exec(stdout);
      if (match) return match;
    }
    throw new Error(`timed out waiting for ${pattern}; stdout: ${stdout}; stderr: ${stderr}`);
  };
  return { child, cwd, exited, waitFor, output: () => ({ stdout, stderr }) };
}

/** fetch with a cookie jar and the CSRF token of the last page. */
function browser(base: string) {
  const cookies = new Map<string, string>();
  let csrf = '';
  const request = async (path: string, form?: Record<string, string>) => {
    const res = await fetch(base + path, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: form ? new URLSearchParams({ _csrf: csrf, ...form }) : undefined,
    });
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(header)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const body = await res.text();
    csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? csrf;
    return { status: res.status, location: res.headers.get('location'), body };
  };
  return request;
}

describe('npm start with no configuration (demo mode)', () => {
  it('runs on SQLite with the simulator, says so loudly, prints each code, and the demo account signs in', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port) });
    await server.waitFor(/Server listening/);
    const { stdout } = server.output();
    expect(stdout).toMatch(/DEMO MODE/);
    expect(stdout).toContain('demo@example.com');
    expect(stdout).toContain('demo-password');

    const request = browser(`http://127.0.0.1:${port}`);
    const loginPage = await request('/login');
    expect(loginPage.body).toContain('demo@example.com');
    const login = await request('/login', { email: 'demo@example.com', password: 'demo-password' });
    expect(login.status).toBe(303);
    const [, code] = await server.waitFor(/"msg":"[^"]*\bcode (\d{4,10})\b[^"]*"/);
    await request('/login/code');
    const done = await request('/login/code', { code });
    expect(done.status).toBe(303);
    expect((await request('/')).body).toContain('demo@example.com');
    expect((await request('/healthz')).body).toBe('{"status":"ok"}');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('configuration errors stop the start with one clear line', () => {
  it.each([
    [{ NODE_ENV: 'production' }, /^Configuration error: SESSION_SECRET is required in production/],
    [{ NODE_ENV: 'production', SESSION_SECRET }, /^Configuration error: VERIFY_API: production needs Vonage credentials/],
    [{ VONAGE_BRAND: 'Far Too Long A Brand Name' }, /^Configuration error: VONAGE_BRAND must be at most 18 characters/],
    [{ VERIFY_API: 'v2', VONAGE_APPLICATION_ID: 'x' }, /^Configuration error: VONAGE_PRIVATE_KEY is required/],
  ])('%o', async (env, message) => {
    const server = startServer(env);
    expect(await server.exited).toBe(1);
    const { stderr } = server.output();
    expect(stderr.trim()).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('production', () => {
  it('sets Secure cookies behind a TLS-terminating proxy', async () => {
    const t = await startTestApp({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: 'true' } });
    try {
      const c = t.client();
      const https = { 'x-forwarded-proto': 'https' };
      const login = await c.post('/login', { email: ALICE.email, password: ALICE.password }, https);
      expect(login.statusCode).toBe(303);
      const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
      expect(cookies.find((h) => h.startsWith('sid='))).toMatch(/; Secure/);
      expect(cookies.filter((h) => !/; Secure/.test(h))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('refuses to start when the demo account exists in the database', async () => {
    const port = await freePort();
    const demo = startServer({ PORT: String(port) });
    await demo.waitFor(/Server listening/);
    demo.child.kill('SIGTERM');
    await demo.exited;
    const prod = spawn(process.execPath, [SERVER], {
      cwd: demo.cwd,
      env: { PATH: process.env.PATH ?? '', MIGRATIONS_DIR: MIGRATIONS, NODE_ENV: 'production', SESSION_SECRET, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' },
    });
    let stderr = '';
    prod.stderr.on('data', (d) => (stderr += d));
    expect(await new Promise((done) => prod.on('exit', done))).toBe(1);
    expect(stderr).toMatch(/demo account demo@example\.com exists in this database; delete it with: DELETE FROM users/);
  });
});
