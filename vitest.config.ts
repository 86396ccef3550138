import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PostgreSQL and Redis have runs of their own (vitest.backends.config.ts): `npm test` needs nothing but npm install.
    exclude: ['test/e2e/**', 'test/db/postgres/**', 'test/state/redis/**', 'test/backends/**', 'node_modules/**'],
    // Each run gets its own TMPDIR, removed at the end (see the file).
    globalSetup: ['test/temp-root.ts'],
    // argon2 at a test cost (see the file; the production cost stays tested in passwords.test.ts).
    setupFiles: ['test/cheap-password-hashing.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // `npm test` turns this on (--coverage); `npx vitest run <file>` stays quick and threshold-free.
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      // Only ever run as child processes (`node src/server.ts`, `npm run migrate`, ...), which the
      // in-process V8 coverage does not see: test/server.test.ts and the *-command tests spawn them.
      // Everything they import is covered in-process by the other tests.
      // PostgreSQL's and Redis's own code is measured by their runs (vitest.backends.config.ts).
      exclude: ['src/server.ts', 'src/**/*-command.ts', 'src/db/postgres/**', 'src/state/redis/**'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
});
