import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    // Each run gets its own TMPDIR (Chromium profiles, the demo server's folder), removed at the end.
    globalSetup: ['test/temp-root.ts'],
    // argon2 at the test cost in the apps served in-process; the servers this suite spawns (behind
    // nginx, demo mode) hash at the production cost, and behind-nginx.test.ts seeds Alice at it.
    setupFiles: ['test/cheap-password-hashing.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
