import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    // Each run gets its own TMPDIR (Chromium profiles, the demo server's folder), removed at the end.
    globalSetup: ['test/temp-root.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
