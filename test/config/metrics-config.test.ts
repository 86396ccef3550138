// METRICS_PORT / METRICS_HOST: unset means no metrics; a bad value stops the start with one line.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const BASE = { DATABASE_URL: 'sqlite:/nonexistent/app.db', SESSION_SECRET: 'x'.repeat(32) };

describe('METRICS_PORT and METRICS_HOST', () => {
  it('are off by default, listen on 127.0.0.1 unless METRICS_HOST says otherwise', () => {
    expect(loadConfig(BASE).metrics).toBeUndefined();
    expect(loadConfig({ ...BASE, METRICS_PORT: '' }).metrics).toBeUndefined();
    // METRICS_HOST alone (as copied from .env.example) turns nothing on
    expect(loadConfig({ ...BASE, METRICS_HOST: '0.0.0.0' }).metrics).toBeUndefined();
    expect(loadConfig({ ...BASE, METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ ...BASE, METRICS_PORT: ' 9464 ', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadConfig({ ...BASE, METRICS_PORT: '9464', METRICS_HOST: 'metrics.internal' }).metrics?.host).toBe('metrics.internal');
    expect(loadConfig({ ...BASE, METRICS_PORT: '9464', METRICS_HOST: '::1' }).metrics?.host).toBe('::1');
  });

  it.each([
    [{ METRICS_PORT: 'prometheus' }, 'METRICS_PORT must be a port number from 0 to 65535, got "prometheus"'],
    [{ METRICS_PORT: '65536' }, 'METRICS_PORT must be a port number from 0 to 65535, got "65536"'],
    [{ METRICS_PORT: '-1' }, 'METRICS_PORT must be a port number'],
    [{ METRICS_PORT: '3000' }, "METRICS_PORT must differ from PORT (3000): metrics are never served on the app's port"],
    [{ METRICS_PORT: '8080', PORT: '8080' }, 'METRICS_PORT must differ from PORT (8080)'],
    [{ METRICS_PORT: '9464', METRICS_HOST: 'http://0.0.0.0' }, 'METRICS_HOST must be an IP address or a host name (e.g. 127.0.0.1 or 0.0.0.0), got "http://0.0.0.0"'],
    [{ METRICS_PORT: '9464', METRICS_HOST: '127.0.0.1:9464' }, 'METRICS_HOST must be an IP address or a host name'],
  ])('refuses %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(message);
  });
});
