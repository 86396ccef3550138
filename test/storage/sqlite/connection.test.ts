import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/storage/sqlite/connection.ts';
import { parseDatabaseUrl } from '../../../src/storage/database-url.ts';
import { useTempDir } from '../../helpers/temp-dir.ts';

describe('parseDatabaseUrl', () => {
  it('accepts sqlite: with a relative, an absolute or an in-memory path', () => {
    expect(parseDatabaseUrl('sqlite:data/app.db')).toEqual({ kind: 'sqlite', path: 'data/app.db' });
    expect(parseDatabaseUrl('sqlite:/var/lib/app/app.db')).toEqual({ kind: 'sqlite', path: '/var/lib/app/app.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
  });

  it('accepts postgres:// and postgresql:// URLs as written (test/storage/postgres/commands.test.ts has the refusals)', () => {
    for (const url of ['postgres://app:hunter2@db:5432/app', 'postgresql://app:hunter2@db/app']) {
      expect(parseDatabaseUrl(url)).toEqual({ kind: 'postgres', url });
    }
    expect(() => parseDatabaseUrl('postgres://app:hunter2@db')).toThrow(/^DATABASE_URL: must end with \/DB/);
    expect(() => parseDatabaseUrl('postgres://app:hunter2@db')).not.toThrow(/hunter2/);
  });

  it('refuses other schemes, a missing scheme, sqlite:// and an empty path, naming DATABASE_URL', () => {
    for (const url of ['mysql://db/app', 'data/app.db', '', 'sqlite://data/app.db', 'sqlite:']) {
      expect(() => parseDatabaseUrl(url), url).toThrow(/^DATABASE_URL: /);
    }
  });
});

describe('openDatabase', () => {
  const tempDir = useTempDir();

  it('creates the missing parent folder', () => {
    const file = path.join(tempDir(), 'nested', 'deeper', 'app.db');
    openDatabase(file).close();
    expect(fs.existsSync(file)).toBe(true);
  });

  it('turns on WAL, foreign keys, a busy timeout and synchronous=NORMAL', () => {
    const db = openDatabase(path.join(tempDir(), 'app.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    } finally {
      db.close();
    }
  });

  it('opens an in-memory database without touching the file system', () => {
    const db = openDatabase(':memory:');
    expect(db.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    db.close();
  });
});
