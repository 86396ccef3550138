import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'signin-config-'));
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET = 'x'.repeat(32);

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('with nothing set runs the demo on SQLite with a generated secret kept beside the database', () => {
    const dir = tmp();
    const config = loadConfig({ DATABASE_URL: `sqlite:${dir}/app.db` });
    expect(config.verify.api).toBe('demo');
    expect(config.production).toBe(false);
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.migrationsDirs).toEqual(['migrations']);
    expect(config.sessionSecrets[0].length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'session-secret'), 'utf8').trim()).toBe(config.sessionSecrets[0]);
    // the same secret on the next start, so sessions survive a restart
    expect(loadConfig({ DATABASE_URL: `sqlite:${dir}/app.db` }).sessionSecrets).toEqual(config.sessionSecrets);
  });

  it('picks v2 with application credentials and legacy with key and secret', () => {
    const db = `sqlite:${tmp()}/app.db`;
    const v2 = loadConfig({ DATABASE_URL: db, VONAGE_APPLICATION_ID: 'app', VONAGE_PRIVATE_KEY: pem });
    expect(v2.verify).toMatchObject({ api: 'v2', applicationId: 'app', apiHost: 'https://api.nexmo.com', brand: 'Acme' });
    const legacy = loadConfig({ DATABASE_URL: db, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' });
    expect(legacy.verify).toMatchObject({ api: 'legacy', apiKey: 'k', apiSecret: 's' });
  });

  it('reads the private key from a file path or from a PEM with escaped newlines', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'private.key'), pem);
    const base = { DATABASE_URL: `sqlite:${dir}/app.db`, VONAGE_APPLICATION_ID: 'app' };
    expect(loadConfig({ ...base, VONAGE_PRIVATE_KEY: join(dir, 'private.key') }).verify.privateKey).toBe(pem);
    expect(loadConfig({ ...base, VONAGE_PRIVATE_KEY: pem.replace(/\n/g, '\\n') }).verify.privateKey).toBe(pem);
    expect(errorOf({ ...base, VONAGE_PRIVATE_KEY: join(dir, 'missing.key') })).toMatch(/^VONAGE_PRIVATE_KEY /);
    expect(errorOf({ ...base, VONAGE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nnope\\n-----END PRIVATE KEY-----' })).toMatch(
      /^VONAGE_PRIVATE_KEY is not a valid PEM/,
    );
  });

  it('rotates session secrets from a comma-separated list, first one signing', () => {
    const config = loadConfig({ DATABASE_URL: `sqlite:${tmp()}/app.db`, SESSION_SECRET: `${'a'.repeat(32)}, ${'b'.repeat(40)}` });
    expect(config.sessionSecrets).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
  });

  it('strips a trailing slash from VONAGE_API_HOST', () => {
    expect(loadConfig({ DATABASE_URL: `sqlite:${tmp()}/a.db`, VONAGE_API_HOST: 'http://127.0.0.1:9999/' }).verify.apiHost).toBe(
      'http://127.0.0.1:9999',
    );
  });

  const db = () => `sqlite:${tmp()}/app.db`;
  it.each([
    [{ NODE_ENV: 'production', VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' }, /^SESSION_SECRET is required in production/],
    [{ NODE_ENV: 'production', SESSION_SECRET: SECRET }, /^VERIFY_API: production needs Vonage credentials/],
    [{ NODE_ENV: 'production', SESSION_SECRET: SECRET, VERIFY_API: 'demo' }, /demo mode is not allowed/],
    [{ SESSION_SECRET: 'short' }, /^SESSION_SECRET must be at least 32 characters/],
    [{ SESSION_SECRET: `${SECRET},short` }, /^SESSION_SECRET must be at least 32 characters/],
    [{ VERIFY_API: 'v3' }, /^VERIFY_API must be auto, v2, legacy or demo/],
    [{ VERIFY_API: 'v2' }, /^VONAGE_APPLICATION_ID is required for VERIFY_API=v2/],
    [{ VERIFY_API: 'legacy', VONAGE_API_KEY: 'k' }, /^VONAGE_API_SECRET is required for VERIFY_API=legacy/],
    [{ VONAGE_APPLICATION_ID: 'app' }, /^VONAGE_PRIVATE_KEY is required/],
    [{ VONAGE_BRAND: 'A brand name far too long' }, /^VONAGE_BRAND must be at most 18 characters/],
    [{ VONAGE_API_HOST: 'not a url' }, /^VONAGE_API_HOST must be a URL/],
    [{ VONAGE_API_HOST: 'ftp://example.com' }, /^VONAGE_API_HOST must start with https:\/\/ or http:\/\//],
    [{ PORT: 'eighty' }, /^PORT must be a number/],
    [{ TRUST_PROXY: '1' }, /^TRUST_PROXY must be true or the proxy's addresses/],
    [{ PORT: '70000' }, /^PORT must be a number/],
    [{ VERIFY_TIMEOUT_MS: '10' }, /^VERIFY_TIMEOUT_MS must be/],
    [{ NODE_ENV: 'production', SESSION_SECRET: SECRET, DEBUG: 'vonage:*' }, /^DEBUG enables the Vonage SDK debug log/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    const text = errorOf({ DATABASE_URL: db(), ...env });
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('refuses a DATABASE_URL it cannot use, naming it', () => {
    expect(errorOf({ DATABASE_URL: 'mysql://localhost/db' })).toMatch(/DATABASE_URL/);
  });
});
