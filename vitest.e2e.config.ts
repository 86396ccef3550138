import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The browser suite, and the server as a process (test/processes: demo mode from nothing, an exit
    // code, graceful shutdown, a stalled log reader), which spends its time on process starts and real
    // waits rather than in `npm test`'s workers.
    include: ['test/e2e/**/*.test.ts', 'test/processes/**/*.test.ts'],
    // Each run gets its own TMPDIR (Chromium profiles, the demo server's folder), removed at the end.
    globalSetup: ['test/temp-root.ts'],
    // argon2 at the test cost in the apps served in-process; the servers this suite spawns (behind
    // nginx, demo mode) hash at the production cost, and behind-nginx.test.ts seeds Alice at it.
    setupFiles: ['test/cheap-password-hashing.ts', 'test/stop-servers.ts'],
    pool: 'forks',
    // Two files at once, each with its own Chromium: a browser test waits on Chromium and the served
    // app in turn, so two overlap well on 2 cores. Measured under load ~10: 207 s one file at a time,
    // 150 s two (the same CPU time). Nothing is shared between files: free ports, their own folders,
    // a PostgreSQL database named for the worker's pid.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
