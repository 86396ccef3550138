import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const folders: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'signin-config-'));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET = 'x'.repeat(32);

/** The v2 private key loadConfig settled on (undefined for another API). */
function privateKeyOf(env: Record<string, string>): string | undefined {
  const { verify } = loadConfig(env);
  return verify.api === 'v2' ? verify.privateKey : undefined;
}

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
    expect(privateKeyOf({ ...base, VONAGE_PRIVATE_KEY: join(dir, 'private.key') })).toBe(pem);
    expect(privateKeyOf({ ...base, VONAGE_PRIVATE_KEY: pem.replace(/\n/g, '\\n') })).toBe(pem);
    expect(errorOf({ ...base, VONAGE_PRIVATE_KEY: join(dir, 'missing.key') })).toMatch(/^VONAGE_PRIVATE_KEY /);
    expect(errorOf({ ...base, VONAGE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nnope\\n-----END PRIVATE KEY-----' })).toMatch(
      /^VONAGE_PRIVATE_KEY is not a valid PEM/,
    );
    // The adapters sign RS256 JWTs with whatever they are given: anything else is refused here.
    expect(errorOf({ ...base, VONAGE_PRIVATE_KEY: 'not a pem' })).toMatch(/^VONAGE_PRIVATE_KEY is neither a PEM key nor a readable file path/);
    expect(errorOf({ ...base, VONAGE_PRIVATE_KEY: ecPem })).toMatch(/^VONAGE_PRIVATE_KEY must be an RSA private key, got ec key/);
  });

  it('drops the characters Vonage refuses from VONAGE_BRAND (the adapters send it as it is)', () => {
    const brand = (VONAGE_BRAND: string) => loadConfig({ DATABASE_URL: `sqlite:${tmp()}/app.db`, VONAGE_BRAND }).verify.brand;
    expect(brand('Acme: {Sign-in}')).toBe('Acme Sign-in');
    expect(brand(' a\\b/c$ ')).toBe('abc');
    expect(brand('{$}')).toBe('Verify');
    expect(brand('x'.repeat(18))).toBe('x'.repeat(18));
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
    [{ VERIFY_API: 'legacy', VONAGE_API_KEY: ' ', VONAGE_API_SECRET: 's' }, /^VONAGE_API_KEY is required for VERIFY_API=legacy/],
    [{ VERIFY_API: 'v2', VONAGE_APPLICATION_ID: '', VONAGE_PRIVATE_KEY: pem }, /^VONAGE_APPLICATION_ID is required for VERIFY_API=v2/],
    [{ VONAGE_APPLICATION_ID: 'app' }, /^VONAGE_PRIVATE_KEY is required/],
    [{ VONAGE_BRAND: 'A brand name far too long' }, /^VONAGE_BRAND must be at most 18 characters/],
    [{ VONAGE_API_HOST: 'not a url' }, /^VONAGE_API_HOST must be a URL/],
    [{ VONAGE_API_HOST: 'ftp://example.com' }, /^VONAGE_API_HOST must start with https:\/\/ or http:\/\//],
    [{ PORT: 'eighty' }, /^PORT must be a number/],
    [{ TRUST_PROXY: '1' }, /^TRUST_PROXY must be true or the proxy's addresses/],
    [{ PORT: '70000' }, /^PORT must be a number/],
    [{ VERIFY_TIMEOUT_MS: '10' }, /^VERIFY_TIMEOUT_MS must be/],
    [{ NODE_ENV: 'production', SESSION_SECRET: SECRET, DEBUG: 'vonage:*' }, /^DEBUG enables the Vonage SDK debug log/],
    [{ LOG_LEVEL: 'verbose' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/],
    [{ SESSION_IDLE_MINUTES: '0' }, /^SESSION_IDLE_MINUTES must be a number of minutes from 1 to 1440, got "0"/],
    [{ SESSION_IDLE_MINUTES: '1441' }, /^SESSION_IDLE_MINUTES must be a number/],
    [{ SESSION_IDLE_MINUTES: '2.5' }, /^SESSION_IDLE_MINUTES must be a number/],
    [{ SESSION_MAX_HOURS: '721' }, /^SESSION_MAX_HOURS must be a number of hours from 1 to 720/],
    [{ SESSION_MAX_HOURS: 'a day' }, /^SESSION_MAX_HOURS must be a number/],
    [{ SESSION_MAX_HOURS: '1', SESSION_IDLE_MINUTES: '90' }, /^SESSION_MAX_HOURS \(1 h\) is shorter than SESSION_IDLE_MINUTES \(90 min\)/],
    [{ AUDIT_RETENTION_DAYS: '0' }, /^AUDIT_RETENTION_DAYS must be a number of days from 1 to 3650/],
    [{ AUDIT_RETENTION_DAYS: '3651' }, /^AUDIT_RETENTION_DAYS must be a number/],
    [{ LOG_BUFFER_BYTES: '65535' }, /^LOG_BUFFER_BYTES must be a number of bytes from 65536 to 1073741824, got "65535"/],
    [{ LOG_BUFFER_BYTES: '4MiB' }, /^LOG_BUFFER_BYTES must be a number of bytes/],
    [{ VERIFY_ALLOWED_COUNTRIES: '1,4x4' }, /^VERIFY_ALLOWED_COUNTRIES: "4x4" is not a country calling code/],
    [{ VERIFY_ALLOWED_COUNTRIES: '044' }, /^VERIFY_ALLOWED_COUNTRIES: "044" is not/],
    [{ VERIFY_ALLOWED_COUNTRIES: '1234' }, /^VERIFY_ALLOWED_COUNTRIES: "1234" is not/],
    [{ VERIFY_ALLOWED_COUNTRIES: ',' }, /^VERIFY_ALLOWED_COUNTRIES has no calling codes/],
    [{ NODE_ENV: 'production', SESSION_SECRET: SECRET, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', TRUST_PROXY: 'true' }, /^TRUST_PROXY=true is refused in production .*127\.0\.0\.1, 10\.0\.0\.0\/8 or loopback/],
    [{ TRUST_PROXY: '127.0.0.1,loopbak' }, /^TRUST_PROXY: "loopbak" is not an IP address, a CIDR range or one of loopback/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY: "10.0.0.0\/33" is not/],
    [{ TRUST_PROXY: 'proxy.internal' }, /^TRUST_PROXY: "proxy.internal" is not/],
    [{ TRUST_PROXY: ' , ' }, /^TRUST_PROXY has no addresses/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    const text = errorOf({ DATABASE_URL: db(), ...env });
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('reads the session, audit and country settings, with their defaults', () => {
    const defaults = loadConfig({ DATABASE_URL: db() });
    expect(defaults).toMatchObject({ sessionIdleMinutes: 30, sessionMaxHours: 12, auditRetentionDays: 90, verifyAllowedCountries: [], logLevel: 'info', logBufferBytes: 4 * 1024 * 1024 });
    const set = loadConfig({
      DATABASE_URL: db(),
      SESSION_IDLE_MINUTES: '60',
      SESSION_MAX_HOURS: '1',
      AUDIT_RETENTION_DAYS: '365',
      VERIFY_ALLOWED_COUNTRIES: ' 1, +44,353,44, ',
      LOG_LEVEL: 'WARN',
      LOG_BUFFER_BYTES: '65536',
    });
    expect(set).toMatchObject({ sessionIdleMinutes: 60, sessionMaxHours: 1, auditRetentionDays: 365, logLevel: 'warn', logBufferBytes: 65536 });
    expect(set.verifyAllowedCountries).toEqual(['1', '44', '353']);
  });

  it('trusts the listed proxies (cleaned up for Fastify), and `true` only outside production', () => {
    expect(loadConfig({ DATABASE_URL: db(), TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8 ,loopback,::1,fd00::/8' }).trustProxy).toBe(
      '127.0.0.1,10.0.0.0/8,loopback,::1,fd00::/8',
    );
    expect(loadConfig({ DATABASE_URL: db(), TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ DATABASE_URL: db(), TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    const production = { DATABASE_URL: db(), NODE_ENV: 'production', SESSION_SECRET: SECRET, VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', PUBLIC_ORIGIN: 'https://app.example.com' };
    expect(loadConfig({ ...production, TRUST_PROXY: 'uniquelocal' }).trustProxy).toBe('uniquelocal');
  });

  describe('warns when real Vonage credentials are used outside production', () => {
    const legacy = { VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' };
    it.each(['https://api.nexmo.com', 'https://api-eu.vonage.com', 'https://API.NEXMO.COM/', 'https://api-us.nexmo.com'])('at %s', (host) => {
      const { warnings } = loadConfig({ DATABASE_URL: db(), NODE_ENV: 'test', ...legacy, VONAGE_API_HOST: host });
      expect(warnings).toEqual([
        'Real Vonage credentials are set outside production (NODE_ENV=test): codes will be sent by real SMS and cost money',
      ]);
    });

    it('with v2 credentials and the default host too', () => {
      expect(loadConfig({ DATABASE_URL: db(), VONAGE_APPLICATION_ID: 'app', VONAGE_PRIVATE_KEY: pem }).warnings[0]).toMatch(
        /^Real Vonage credentials are set outside production \(NODE_ENV=development\)/,
      );
    });

    it('but not in production, in demo mode, or against a simulator or look-alike host', () => {
      const none = (env: Record<string, string>) => expect(loadConfig({ DATABASE_URL: db(), ...env }).warnings).toEqual([]);
      none({ NODE_ENV: 'production', SESSION_SECRET: SECRET, PUBLIC_ORIGIN: 'https://app.example.com', ...legacy });
      none({});
      none({ VERIFY_API: 'demo', ...legacy });
      none({ ...legacy, VONAGE_API_HOST: 'http://127.0.0.1:9999' });
      none({ ...legacy, VONAGE_API_HOST: 'https://notvonage.com' });
      none({ ...legacy, VONAGE_API_HOST: 'https://api.nexmo.com.example.org' });
    });
  });

  it('refuses a DATABASE_URL it cannot use, naming it', () => {
    expect(errorOf({ DATABASE_URL: 'mysql://localhost/db' })).toMatch(/DATABASE_URL/);
  });
});
