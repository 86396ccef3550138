// Vitest setup file (vitest.config.ts, vitest.backends.config.ts), run before each test file:
// argon2id at m=256 KiB, t=1 (about 1 ms) instead of the production cost (about 100 ms a hash and
// as much a check on 2 cores), which every test app start, sign-in and seeded account paid.
// The production parameters stay tested where they are the subject (test/accounts/passwords.test.ts
// switches back for its file), and spawned servers, `npm run hash-password` and the browser suite
// hash at the production cost.
import { setPasswordHashCostForTests } from '../src/accounts/passwords.ts';

export const TEST_HASH_COST = { memoryCost: 256, timeCost: 1, parallelism: 1 } as const;

setPasswordHashCostForTests(TEST_HASH_COST);
