// PUBLIC_ORIGIN: required in production (an https origin, no path), `http://localhost:PORT`
// outside it, always checked with one line naming the variable, and handed on parsed.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const PRODUCTION = {
  DATABASE_URL: 'sqlite::memory:',
  NODE_ENV: 'production',
  SESSION_SECRET: 'x'.repeat(32),
  VONAGE_API_KEY: 'k',
  VONAGE_API_SECRET: 's',
};
const DEVELOPMENT = { DATABASE_URL: 'sqlite::memory:', SESSION_SECRET: 'x'.repeat(32) };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('PUBLIC_ORIGIN', () => {
  it('is required in production', () => {
    expect(errorOf(PRODUCTION)).toMatch(/^PUBLIC_ORIGIN is required in production: the https origin users type, e\.g\. https:\/\/app\.example\.com$/);
  });

  it.each([
    ['http://app.example.com', /^PUBLIC_ORIGIN must start with https:\/\/ in production, got "http:\/\/app\.example\.com"$/],
    ['https://app.example.com/signin', /^PUBLIC_ORIGIN must be an origin with no path, query or credentials/],
    ['https://app.example.com?x=1', /^PUBLIC_ORIGIN must be an origin with no path/],
    ['https://user:pw@app.example.com', /^PUBLIC_ORIGIN must be an origin with no path, query or credentials/],
    ['app.example.com', /^PUBLIC_ORIGIN must be an origin, e\.g\. https:\/\/app\.example\.com, got "app\.example\.com"$/],
  ])('in production refuses %s with one line naming it', (origin, message) => {
    const error = errorOf({ ...PRODUCTION, PUBLIC_ORIGIN: origin });
    expect(error).toMatch(message);
    expect(error).not.toContain('\n');
  });

  it('in production is handed on parsed: origin, host and host name (a trailing slash and case are normalized)', () => {
    expect(loadConfig({ ...PRODUCTION, PUBLIC_ORIGIN: 'https://App.Example.com/' }).publicOrigin).toEqual({
      origin: 'https://app.example.com',
      host: 'app.example.com',
      hostname: 'app.example.com',
    });
    expect(loadConfig({ ...PRODUCTION, PUBLIC_ORIGIN: 'https://app.example.com:8443' }).publicOrigin).toEqual({
      origin: 'https://app.example.com:8443',
      host: 'app.example.com:8443',
      hostname: 'app.example.com',
    });
  });

  it('outside production defaults to http://localhost:PORT and still checks a value that is set', () => {
    expect(loadConfig({ ...DEVELOPMENT, PORT: '4123' }).publicOrigin).toEqual({ origin: 'http://localhost:4123', host: 'localhost:4123', hostname: 'localhost' });
    expect(loadConfig({ ...DEVELOPMENT, PUBLIC_ORIGIN: 'http://dev.test:3000' }).publicOrigin.origin).toBe('http://dev.test:3000');
    expect(errorOf({ ...DEVELOPMENT, PUBLIC_ORIGIN: 'ftp://dev.test' })).toMatch(/^PUBLIC_ORIGIN must start with https:\/\/ or http:\/\//);
    expect(errorOf({ ...DEVELOPMENT, PUBLIC_ORIGIN: 'http://dev.test/app' })).toMatch(/^PUBLIC_ORIGIN must be an origin with no path/);
  });
});
