import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PostgreSQL and Redis have runs of their own (vitest.backends.config.ts): `npm test` needs nothing but npm install.
    // test/processes (the real `node src/server.ts`: demo mode, signals, a stalled log reader; ~20 s of
    // process starts and real waits) runs with the browser suite (vitest.e2e.config.ts).
    exclude: ['test/e2e/**', 'test/processes/**', 'test/storage/postgres/**', 'test/storage/redis/**', 'test/storage/backends/**', 'node_modules/**'],
    // Each run gets its own TMPDIR, removed at the end (see the file); sqlite-template: one migrated
    // SQLite file that each test app's database is copied from.
    globalSetup: ['test/temp-root.ts', 'test/sqlite-template.ts'],
    // argon2 at a test cost (see the file; the production cost stays tested in passwords.test.ts).
    // stop-servers: after each test, the server processes it spawned end (test/helpers/server-process.ts).
    setupFiles: ['test/cheap-password-hashing.ts', 'test/stop-servers.ts'],
    pool: 'forks',
    // Two workers that each run many files: a fresh worker per file cost ~200 ms of boot and import
    // for each of 63 files. Order dependence this could hide is caught by the shuffled run in .ci/run.
    isolate: false,
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // `npm test` turns this on (--coverage); `npx vitest run <file>` stays quick and threshold-free.
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      // server.ts's startServer and the commands (src/commands/) run in-process in their tests, and count.
      // PostgreSQL's and Redis's own code is measured by their runs (vitest.backends.config.ts).
      exclude: ['src/storage/postgres/**', 'src/storage/redis/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
});
