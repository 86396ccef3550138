// REMEMBER_DEVICE_DAYS: how long "Remember this browser" skips the code step; 0 turns it off.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const BASE = { DATABASE_URL: 'sqlite:/nonexistent/app.db', SESSION_SECRET: 'x'.repeat(32) };

describe('REMEMBER_DEVICE_DAYS', () => {
  it('defaults to 30, takes 0 (off) to 365', () => {
    expect(loadConfig(BASE).rememberDeviceDays).toBe(30);
    expect(loadConfig({ ...BASE, REMEMBER_DEVICE_DAYS: '0' }).rememberDeviceDays).toBe(0);
    expect(loadConfig({ ...BASE, REMEMBER_DEVICE_DAYS: ' 365 ' }).rememberDeviceDays).toBe(365);
    expect(loadConfig({ ...BASE, REMEMBER_DEVICE_DAYS: '' }).rememberDeviceDays).toBe(30);
  });

  it.each(['366', '-1', '7.5', '30d', 'thirty'])('refuses %s with one line naming the variable', (value) => {
    expect(() => loadConfig({ ...BASE, REMEMBER_DEVICE_DAYS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, REMEMBER_DEVICE_DAYS: value })).toThrow(
      `REMEMBER_DEVICE_DAYS must be a number of days from 0 to 365, got "${value}"`,
    );
  });
});
