// An older Node gets one line saying what it needs from `npm start` and `npm test` (and
// `npm install`: the same preinstall hook), not "bad option: --experimental-strip-types" from
// deep inside. /usr/bin/node on these machines is Node 20 (Debian's): a real old Node.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHECK = resolve('scripts/check-node.cjs');
const OLD_NODE = '/usr/bin/node';
const NEEDS = 'verify-signin needs Node.js 22.12 or newer';

function versionOf(node: string): number[] | undefined {
  try {
    return execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);
  } catch {
    return undefined;
  }
}
const old = versionOf(OLD_NODE);
const oldNodeHere = old !== undefined && (old[0] < 22 || (old[0] === 22 && old[1] < 12));

describe('the Node version check', () => {
  it('says nothing and passes on this Node', () => {
    const run = spawnSync(process.execPath, [CHECK], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toBe('');
  });

  it.runIf(oldNodeHere)('stops an older Node with one line naming the version needed and the one found', () => {
    const run = spawnSync(OLD_NODE, [CHECK], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(NEEDS);
    expect(run.stderr).toContain(`this is Node ${old?.join('.')}`);
  });

  it.runIf(oldNodeHere)('runs before npm start and npm test, so an older Node gets that line and nothing from the app', async () => {
    // A copy of package.json and the script, with the old Node first on the PATH (npm runs under it too).
    const dir = mkdtempSync(join(tmpdir(), 'node-check-'));
    try {
      cpSync('package.json', join(dir, 'package.json'));
      cpSync(CHECK, join(dir, 'scripts', 'check-node.cjs'));
      // Both at once: each npm under the old Node takes a second or more.
      const npm = (script: string) =>
        new Promise<{ script: string; status: number | null; output: string }>((done) => {
          const child = execFile('npm', [script], { cwd: dir, encoding: 'utf8', env: { PATH: `/usr/bin:/bin`, HOME: dir } }, (_error, stdout, stderr) =>
            done({ script, status: child.exitCode, output: stdout + stderr }),
          );
        });
      for (const { script, status, output } of await Promise.all(['start', 'test'].map(npm))) {
        expect(status, output).not.toBe(0);
        expect(output, script).toContain(NEEDS);
        expect(output, script).not.toMatch(/bad option|groupBy|strip-types/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the preinstall, prestart and pretest hook', async () => {
    const { scripts } = (await import('../../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> };
    for (const hook of ['preinstall', 'prestart', 'pretest']) expect(scripts[hook], hook).toBe('node scripts/check-node.cjs');
  });
});
