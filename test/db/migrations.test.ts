import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection.ts';
import type { Database } from '../../src/db/connection.ts';
import { applyMigrations, MigrationError } from '../../src/db/migrations.ts';
import { useTempDir, writeFiles } from './temp-dir.ts';

const tableNames = (db: Database) =>
  db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();

describe('applyMigrations', () => {
  const tempDir = useTempDir();
  const open = () => openDatabase(path.join(tempDir(), 'app.db'));

  it('applies migrations in file-name order across folders, then records each with its sha256', () => {
    // 0002 needs 0001's table, and sits in the folder listed first: order must come from the names.
    const seeds = writeFiles(path.join(tempDir(), 'seeds'), {
      '0002_seed.sql': "INSERT INTO notes (body) VALUES ('hello');",
    });
    const schema = writeFiles(path.join(tempDir(), 'schema'), {
      '0001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);',
      '0003_more.sql': "INSERT INTO notes (body) VALUES ('again');",
    });
    const db = open();
    expect(applyMigrations(db, [seeds, schema]).applied).toEqual(['0001_notes.sql', '0002_seed.sql', '0003_more.sql']);
    expect(db.prepare('SELECT body FROM notes ORDER BY id').pluck().all()).toEqual(['hello', 'again']);

    const recorded = db.prepare('SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name').all() as
      { name: string; checksum: string; applied_at: string }[];
    expect(recorded.map((row) => row.name)).toEqual(['0001_notes.sql', '0002_seed.sql', '0003_more.sql']);
    const sha = crypto.createHash('sha256').update("INSERT INTO notes (body) VALUES ('hello');").digest('hex');
    expect(recorded[1].checksum).toBe(sha);
    expect(recorded[1].applied_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    db.close();
  });

  it('applies each migration once: a second run applies nothing, a new file only itself', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_notes.sql': 'CREATE TABLE notes (body TEXT);',
      '0002_seed.sql': "INSERT INTO notes VALUES ('once');",
    });
    const db = open();
    expect(applyMigrations(db, [dir]).applied).toHaveLength(2);
    expect(applyMigrations(db, [dir]).applied).toEqual([]);
    writeFiles(dir, { '0003_later.sql': "INSERT INTO notes VALUES ('later');" });
    expect(applyMigrations(db, [dir]).applied).toEqual(['0003_later.sql']);
    expect(db.prepare('SELECT body FROM notes').pluck().all()).toEqual(['once', 'later']);
    db.close();
  });

  it('recognises an applied migration by name after it moved to another folder', () => {
    const first = writeFiles(path.join(tempDir(), 'a'), { '0001_notes.sql': 'CREATE TABLE notes (body TEXT);' });
    const db = open();
    applyMigrations(db, [first]);
    const second = writeFiles(path.join(tempDir(), 'b'), { '0001_notes.sql': 'CREATE TABLE notes (body TEXT);' });
    fs.rmSync(first, { recursive: true });
    expect(applyMigrations(db, [second]).applied).toEqual([]);
    db.close();
  });

  it('refuses a migration changed after it was applied, before applying anything newer', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_notes.sql': 'CREATE TABLE notes (body TEXT);',
      '0002_seed.sql': "INSERT INTO notes VALUES ('original');",
    });
    const db = open();
    applyMigrations(db, [dir]);
    writeFiles(dir, {
      '0002_seed.sql': "INSERT INTO notes VALUES ('edited');",
      '0003_newer.sql': 'CREATE TABLE newer (x INTEGER);',
    });
    const attempt = () => applyMigrations(db, [dir]);
    expect(attempt).toThrow(MigrationError);
    expect(attempt).toThrow(
      'migration 0002_seed.sql was changed after it was applied (checksum mismatch); ' +
        'restore it and add a new migration instead',
    );
    expect(tableNames(db)).not.toContain('newer');
    db.close();
  });

  it('does not count a change of line endings as a change', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), { '0001_notes.sql': 'CREATE TABLE notes (\n  body TEXT\n);\n' });
    const db = open();
    applyMigrations(db, [dir]);
    writeFiles(dir, { '0001_notes.sql': 'CREATE TABLE notes (\r\n  body TEXT\r\n);\r\n' });
    expect(applyMigrations(db, [dir]).applied).toEqual([]);
    db.close();
  });

  it('rolls a failing migration back entirely and names the file and SQLite’s message', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_notes.sql': 'CREATE TABLE notes (body TEXT);',
      '0002_broken.sql': "CREATE TABLE half_done (x INTEGER);\nINSERT INTO notes VALUES ('partial');\nINSERT INTO missing_table VALUES (1);",
    });
    const db = open();
    const attempt = () => applyMigrations(db, [dir]);
    expect(attempt).toThrow(MigrationError);
    expect(attempt).toThrow(/0002_broken\.sql.*no such table: missing_table/);

    expect(tableNames(db)).not.toContain('half_done');
    expect(db.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(0);
    expect(db.prepare('SELECT name FROM schema_migrations').pluck().all()).toEqual(['0001_notes.sql']);
    expect(db.inTransaction).toBe(false);

    writeFiles(dir, { '0002_broken.sql': "INSERT INTO notes VALUES ('fixed');" });
    expect(applyMigrations(db, [dir]).applied).toEqual(['0002_broken.sql']);
    db.close();
  });

  it('refuses a migration that commits on its own', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), { '0001_commits.sql': 'COMMIT; CREATE TABLE t (x INTEGER);' });
    const db = open();
    expect(() => applyMigrations(db, [dir])).toThrow(/0001_commits\.sql/);
    db.close();
  });

  it('refuses badly named .sql files, listing them, and ignores other files', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_notes.sql': 'CREATE TABLE notes (body TEXT);',
      'seed.sql': 'SELECT 1;',
      '12_short.sql': 'SELECT 1;',
      'README.md': 'not a migration',
      '0002_notes.sql.bak': 'not a migration either',
    });
    const db = open();
    const attempt = () => applyMigrations(db, [dir]);
    expect(attempt).toThrow(MigrationError);
    expect(attempt).toThrow(/NNNN_name\.sql.*(seed\.sql.*12_short\.sql|12_short\.sql.*seed\.sql)/);
    expect(attempt).not.toThrow(/README|\.bak/);
    expect(tableNames(db)).not.toContain('notes');

    fs.rmSync(path.join(dir, 'seed.sql'));
    fs.rmSync(path.join(dir, '12_short.sql'));
    expect(applyMigrations(db, [dir]).applied).toEqual(['0001_notes.sql']);
    db.close();
  });

  it('refuses the same file name in two folders', () => {
    const a = writeFiles(path.join(tempDir(), 'a'), { '0001_notes.sql': 'SELECT 1;' });
    const b = writeFiles(path.join(tempDir(), 'b'), { '0001_notes.sql': 'SELECT 2;' });
    const db = open();
    expect(() => applyMigrations(db, [a, b])).toThrow(/0001_notes\.sql exists in two folders/);
    db.close();
  });

  it('names a migrations folder that does not exist', () => {
    const missing = path.join(tempDir(), 'no-such-folder');
    const db = open();
    expect(() => applyMigrations(db, [missing])).toThrow(`migrations folder ${missing} does not exist`);
    db.close();
  });
});
