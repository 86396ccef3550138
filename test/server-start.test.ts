// src/server.ts's start, in this process: a wrong configuration or a failed start is one clear
// line and nothing left running. (test/processes/server.test.ts runs the real `node src/server.ts`.)
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SESSION_SECRET } from './helpers/test-app.ts';
import { startInProcess } from './helpers/started-server.ts';
import { useTempDir } from './helpers/temp-dir.ts';

const tempDir = useTempDir();
const start = (env: Record<string, string>) => startInProcess(tempDir(), env);

describe('configuration errors stop the start with one clear line', () => {
  it.each([
    [{ NODE_ENV: 'production' }, /^Configuration error: SESSION_SECRET is required in production/],
    [{ NODE_ENV: 'production', SESSION_SECRET }, /^Configuration error: VERIFY_API: production needs Vonage credentials/],
    [{ VONAGE_BRAND: 'Far Too Long A Brand Name' }, /^Configuration error: VONAGE_BRAND must be at most 18 characters/],
    [{ VERIFY_API: 'v2', VONAGE_APPLICATION_ID: 'x' }, /^Configuration error: VONAGE_PRIVATE_KEY is required/],
    [{ NODE_ENV: 'production', SESSION_SECRET, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', TRUST_PROXY: 'true' }, /^Configuration error: TRUST_PROXY=true is refused in production/],
    [{ LOG_LEVEL: 'loud' }, /^Configuration error: LOG_LEVEL must be one of/],
  ])('%o', async (env, message) => {
    const { result, stderr } = await start(env);
    expect(result).toEqual({ failed: true });
    expect(stderr().trim()).toMatch(message);
    expect(stderr().trim().split('\n')).toHaveLength(1);
  });
});

describe('a start that fails after the config is read', () => {
  it('refuses to start in production when the demo account exists in the database', async () => {
    const demo = await start({});
    expect('app' in demo.result && demo.result.app.server.listening).toBe(true);
    expect(demo.log()).toMatch(/DEMO MODE/);
    if ('app' in demo.result) await demo.result.app.close();

    const prod = await start({ NODE_ENV: 'production', SESSION_SECRET, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', PUBLIC_ORIGIN: 'https://app.example.com' });
    expect(prod.result).toEqual({ failed: true });
    expect(prod.stderr()).toMatch(/^Could not start: the demo account demo@example\.com exists in this database; delete it with: DELETE FROM users/);
    expect(prod.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('names the address when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    try {
      const port = (taken.address() as { port: number }).port;
      const { result, stderr } = await start({ PORT: String(port) });
      expect(result).toEqual({ failed: true });
      expect(stderr()).toBe(`Could not start: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });
});
