// deploy/verify-signin.service, as systemd reads it: the server itself is the service's process
// (so SIGTERM reaches it: `npm start` runs it through `sh -c`, which does not pass the signal on),
// as a user other than root, with its settings from an EnvironmentFile and time to drain.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const UNIT = resolve('deploy/verify-signin.service');

/** The unit's [Service] settings, a list of values per key (systemd allows repeats). */
function serviceSettings(): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of readFileSync(UNIT, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1];
    else if (section === 'Service') {
      const [key, ...value] = line.split('=');
      settings.set(key, [...(settings.get(key) ?? []), value.join('=')]);
    }
  }
  return settings;
}

describe('the systemd unit', () => {
  const settings = serviceSettings();
  const one = (key: string) => settings.get(key)?.at(-1);

  it('runs node on src/server.ts itself, in the checkout named by WorkingDirectory, never through npm', () => {
    const [node, ...args] = (one('ExecStart') as string).split(/\s+/);
    expect(node).toMatch(/\/node$/);
    expect(args).toEqual(['src/server.ts']);
    expect(existsSync(resolve(args[0]))).toBe(true);
    expect(one('WorkingDirectory')).toMatch(/^\//);
    expect(one('KillSignal') ?? 'SIGTERM').toBe('SIGTERM');
    // longer than the server's own 10 s grace, so systemd never SIGKILLs a clean drain
    expect(Number.parseInt(one('TimeoutStopSec') as string, 10)).toBeGreaterThan(10);
  });

  it('runs as its own user, reads its settings from an EnvironmentFile, and is sandboxed', () => {
    expect(one('User')).toBeTruthy();
    expect(one('User')).not.toBe('root');
    expect(one('EnvironmentFile')).toMatch(/^-?\//);
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'RestrictSUIDSGID']) expect(one(key), key).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('CapabilityBoundingSet')).toBe('');
  });

  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((path) => existsSync(path));
  it.runIf(analyze)('passes systemd-analyze verify', () => {
    // systemd names an unknown key or a malformed value on stderr (and still exits 0 for some)
    const run = spawnSync(analyze as string, ['verify', '--man=no', UNIT], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
