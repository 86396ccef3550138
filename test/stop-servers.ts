// Vitest setup file, run before each test file: after each test, server processes a test started
// with test/helpers/server-process.ts are killed and its folders removed.
import { afterEach } from 'vitest';
import { stopServersAndRemoveFolders } from './helpers/server-process.ts';

afterEach(stopServersAndRemoveFolders);
