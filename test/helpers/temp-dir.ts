import fs from 'node:fs';
import { dropBackend } from './test-backend.ts';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, onTestFinished } from 'vitest';

/** A fresh, empty folder for each test (real SQLite files live there), removed afterwards. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-signin-test-'));
  });
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (!dir) throw new Error('useTempDir(): only available inside a test');
    return dir;
  };
}

/**
 * Removes a folder when the current test ends, pass or fail; returns it. For folders made inside a
 * test by other helpers, e.g. `const dir = removeAfterTest(await seededDir())`.
 */
export function removeAfterTest(dir: string): string {
  // with the database and Redis keys an app made for it (test/helpers/test-backend.ts)
  onTestFinished(async () => {
    await dropBackend(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}
