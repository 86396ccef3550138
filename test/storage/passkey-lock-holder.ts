// A second process on the same SQLite file, as a worker thread (test/storage/passkey-store.test.ts):
// it adds an account's passkey in a write transaction and holds it open until the test has started
// its own add and a moment more, then commits. Told what to add by workerData.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, userId, credentialId, signal } = workerData as { file: string; userId: number; credentialId: string; signal: SharedArrayBuffer };
const flags = new Int32Array(signal);

const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.exec('BEGIN IMMEDIATE');
db.prepare(
  `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
   VALUES (?, ?, x'01', 0, '[]', 'multiDevice', 1, 'From the other process', 0)`,
).run(userId, credentialId);
parentPort!.postMessage('holding');
Atomics.wait(flags, 0, 0); // until the test is about to add
Atomics.wait(flags, 1, 0, 100); // and is waiting for this lock
db.exec('COMMIT');
db.close();
parentPort!.postMessage('committed');
