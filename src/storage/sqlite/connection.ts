import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;

const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(filePath: string): Database {
  const inMemory = filePath === ':memory:';
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  const db = new BetterSqlite3(filePath);
  try {
    // Another process (a second server, `npm run migrate`) may hold the write lock for a moment.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    useWriteAheadLog(db);
    // NORMAL is durable enough under WAL (a power cut may lose the last commits, never corrupt
    // the file) and much faster than FULL.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * WAL lets readers run while one writer commits. Switching to it needs an exclusive lock, and
 * SQLite answers SQLITE_BUSY at once (no busy timeout) when two processes create the same new
 * file together, so retry for as long as the busy timeout. WAL is then stored in the file:
 * later opens find it already set and take no lock.
 */
function useWriteAheadLog(db: Database): void {
  const giveUpAt = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > giveUpAt) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // a synchronous 20 ms pause
    }
  }
}
