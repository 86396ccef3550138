// STEP_UP_MINUTES: how recent a full sign-in (or a confirmation) must be for a sensitive action.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const BASE = { DATABASE_URL: 'sqlite:/nonexistent/app.db', SESSION_SECRET: 'x'.repeat(32) };

describe('STEP_UP_MINUTES', () => {
  it('defaults to 10, takes 1 to 60', () => {
    expect(loadConfig(BASE).stepUpMinutes).toBe(10);
    expect(loadConfig({ ...BASE, STEP_UP_MINUTES: '1' }).stepUpMinutes).toBe(1);
    expect(loadConfig({ ...BASE, STEP_UP_MINUTES: ' 60 ' }).stepUpMinutes).toBe(60);
    expect(loadConfig({ ...BASE, STEP_UP_MINUTES: '' }).stepUpMinutes).toBe(10);
  });

  it.each(['0', '61', '-5', '2.5', '10m', 'ten'])('refuses %s with one line naming the variable', (value) => {
    expect(() => loadConfig({ ...BASE, STEP_UP_MINUTES: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, STEP_UP_MINUTES: value })).toThrow(`STEP_UP_MINUTES must be a number of minutes from 1 to 60, got "${value}"`);
  });
});
