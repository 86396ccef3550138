// The integration suite again, on the backends the environment names (test/helpers/test-backend.ts):
// `npm run test:postgres` (PostgreSQL) and `npm run test:redis` (PostgreSQL + Redis).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/routes/**/*.test.ts',
      'test/session/signin-lifecycle.test.ts',
      'test/session/secret-rotation.test.ts',
      'test/session/rolling-secret-rotation.test.ts',
      'test/accounts/account-schema.test.ts',
      'test/accounts/password-hash-shape.test.ts',
      'test/storage/backends/**/*.test.ts',
      // each engine's own store tests, once: PostgreSQL's in the PostgreSQL run, Redis's in the Redis run
      ...(process.env.TEST_REDIS === '1'
        ? ['test/storage/redis/**/*.test.ts']
        : ['test/storage/postgres/**/*.test.ts', 'test/storage/passkey-store.test.ts']),
    ],
    // Seeding through `npm run migrate` and restarts of the SQLite file are SQLite's own; PostgreSQL
    // seeding is tested in test/storage/postgres.
    exclude: ['test/routes/restart-and-seeds.test.ts', 'node_modules/**'],
    // postgres-template: one migrated database that each test app's database is copied from.
    globalSetup: ['test/temp-root.ts', 'test/postgres-template.ts'],
    // argon2 at a test cost (see the file; the production cost stays tested in passwords.test.ts).
    // stop-servers: after each test, the server processes it spawned end (test/helpers/server-process.ts).
    setupFiles: ['test/cheap-password-hashing.ts', 'test/stop-servers.ts'],
    pool: 'forks',
    // Two workers that each run many files: a fresh worker per file cost ~200 ms of boot and import
    // for each of 63 files. Order dependence this could hide is caught by the shuffled run in .ci/run.
    isolate: false,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // `npm run test:postgres` / `test:redis` pass --coverage: the engine's own code must be covered too.
    coverage: {
      provider: 'v8',
      include: [process.env.TEST_REDIS === '1' ? 'src/storage/redis/**' : 'src/storage/postgres/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
});
