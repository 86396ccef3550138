// PASSKEYS: on (the default) or off; anything else stops the start with one line naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const BASE = { DATABASE_URL: 'sqlite:/nonexistent/app.db', SESSION_SECRET: 'x'.repeat(32) };

describe('PASSKEYS', () => {
  it('defaults to on, takes on and off in any letter case', () => {
    expect(loadConfig(BASE).passkeys).toBe(true);
    expect(loadConfig({ ...BASE, PASSKEYS: '' }).passkeys).toBe(true);
    expect(loadConfig({ ...BASE, PASSKEYS: 'on' }).passkeys).toBe(true);
    expect(loadConfig({ ...BASE, PASSKEYS: ' OFF ' }).passkeys).toBe(false);
  });

  it.each(['0', 'false', 'yes', 'disabled'])('refuses %s with one line naming the variable', (value) => {
    expect(() => loadConfig({ ...BASE, PASSKEYS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, PASSKEYS: value })).toThrow(`PASSKEYS must be on or off, got "${value}"`);
  });
});
