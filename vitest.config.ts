import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Each run gets its own TMPDIR, removed at the end (see the file).
    globalSetup: ['test/temp-root.ts'],
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
      exclude: ['src/server.ts', 'src/**/*-command.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 90 },
    },
  },
});
