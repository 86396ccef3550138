import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/sqlite/connection.ts';
import type { Database } from '../../src/storage/sqlite/connection.ts';
import { applyMigrations, MigrationError } from '../../src/storage/migrations.ts';
import { findTransactionStatements } from '../../src/storage/transaction-statements.ts';
import { useTempDir, writeFiles } from '../helpers/temp-dir.ts';

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

describe('applyMigrations refuses a migration that begins or ends a transaction, before anything runs', () => {
  const tempDir = useTempDir();
  const open = () => openDatabase(path.join(tempDir(), 'app.db'));

  it.each([
    ['COMMIT;', 'COMMIT'],
    ['END;', 'END'],
    ['END TRANSACTION;', 'END'],
    ['COMMIT TRANSACTION;', 'COMMIT'],
    ['BEGIN;', 'BEGIN'],
    ['BEGIN TRANSACTION;', 'BEGIN'],
    ['BEGIN IMMEDIATE;', 'BEGIN'],
    ['ROLLBACK;', 'ROLLBACK'],
    ['SAVEPOINT sp; ROLLBACK TO sp;', 'ROLLBACK'],
    ['commit;', 'COMMIT'],
    ['  \t CoMmIt \n\n ;', 'COMMIT'],
    ['end\n   transaction   ;', 'END'],
    ['/* why */ COMMIT;', 'COMMIT'],
    ['-- done\nCOMMIT;', 'COMMIT'],
    ["CREATE TRIGGER t AFTER INSERT ON notes BEGIN SELECT CASE WHEN 1 THEN 2 END; END; COMMIT;", 'COMMIT'],
  ])('refuses %j with nothing applied, naming the file and %s', (statement, keyword) => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_notes.sql': "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('kept');",
    });
    const db = open();
    applyMigrations(db, [dir]);
    writeFiles(dir, {
      '0002_fine.sql': 'CREATE TABLE fine (x INTEGER);',
      '0003_bad.sql': `CREATE TABLE before_it (x INTEGER);\n${statement}\nDROP TABLE notes;\nCREATE TABLE after_it (x INTEGER);`,
      '0004_later.sql': 'CREATE TABLE later (x INTEGER);',
    });

    const attempt = () => applyMigrations(db, [dir]);
    expect(attempt).toThrow(MigrationError);
    expect(attempt).toThrow(
      new RegExp(`^migration \\S*0003_bad\\.sql has a ${keyword} statement \\(line \\d\\);.*no migration was applied$`),
    );
    // Without the scan, COMMIT would have made before_it permanent and run DROP TABLE notes.
    expect(tableNames(db)).toEqual(['notes', 'schema_migrations']);
    expect(db.prepare('SELECT body FROM notes').pluck().all()).toEqual(['kept']);
    expect(db.prepare('SELECT name FROM schema_migrations').pluck().all()).toEqual(['0001_notes.sql']);
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  it('names the line of the offending statement', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_bad.sql': 'CREATE TABLE a (x INTEGER);\n\n-- finish early\nCOMMIT;\n',
    });
    const db = open();
    expect(() => applyMigrations(db, [dir])).toThrow(/0001_bad\.sql has a COMMIT statement \(line 4\)/);
    db.close();
  });

  it('accepts a trigger whose BEGIN … END body holds CASE … END, and the trigger works', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_trigger.sql': `
        CREATE TABLE events (kind TEXT, size TEXT);
        CREATE TABLE seen (what TEXT);
        CREATE TRIGGER label_events AFTER INSERT ON events
        WHEN NEW.size IS NULL
        BEGIN
          UPDATE events
            SET size = CASE WHEN NEW.kind = 'big' THEN 'large' ELSE CASE NEW.kind WHEN 'tiny' THEN 'small' END END
            WHERE rowid = NEW.rowid;
          INSERT INTO seen VALUES (NEW.kind || '; END');
        END;
        CREATE TEMP TRIGGER temp_one AFTER DELETE ON events BEGIN DELETE FROM seen; END;
        SAVEPOINT inner_step;
        INSERT INTO events (kind) VALUES ('big'), ('tiny');
        RELEASE inner_step;
      `,
    });
    const db = open();
    expect(applyMigrations(db, [dir]).applied).toEqual(['0001_trigger.sql']);
    expect(db.prepare('SELECT kind, size FROM events ORDER BY rowid').all()).toEqual([
      { kind: 'big', size: 'large' },
      { kind: 'tiny', size: 'small' },
    ]);
    expect(db.prepare('SELECT what FROM seen').pluck().all()).toEqual(['big; END', 'tiny; END']);
    db.close();
  });

  it('is not tripped by the keywords inside comments, strings and quoted identifiers', () => {
    const dir = writeFiles(path.join(tempDir(), 'migrations'), {
      '0001_quoted.sql': `
        -- COMMIT; a comment must not count
        /* BEGIN;
           END; ROLLBACK; */
        CREATE TABLE "commit" ([end] TEXT, \`begin\` TEXT, "rollback;""
        END" TEXT);
        INSERT INTO "commit" VALUES ('; COMMIT;', 'it''s; END', '
        ROLLBACK;');
      `,
    });
    const db = open();
    expect(applyMigrations(db, [dir]).applied).toEqual(['0001_quoted.sql']);
    expect(db.prepare('SELECT * FROM "commit"').raw().get()).toEqual(['; COMMIT;', "it's; END", '\n        ROLLBACK;']);
    db.close();
  });

  it("accepts the project's own migrations", () => {
    const db = open();
    const dir = path.resolve(import.meta.dirname, '../../migrations');
    // Every file but PostgreSQL's own versions (NAME.postgres.sql), which SQLite skips.
    const forSqlite = fs.readdirSync(dir).filter((name) => name.endsWith('.sql') && !name.endsWith('.postgres.sql'));
    expect(applyMigrations(db, [dir]).applied).toEqual(forSqlite.sort());
    db.close();
  });
});

describe('findTransactionStatements', () => {
  const keywords = (sql: string, dialect?: 'sqlite' | 'postgres') =>
    findTransactionStatements(sql, dialect).map((found) => found.keyword);

  it('reports each top-level BEGIN, COMMIT, END and ROLLBACK with its line', () => {
    expect(findTransactionStatements('BEGIN;\nSELECT 1;\n  rollback to x;\nEnd\n;commit')).toEqual([
      { keyword: 'BEGIN', line: 1 },
      { keyword: 'ROLLBACK', line: 3 },
      { keyword: 'END', line: 4 },
      { keyword: 'COMMIT', line: 5 },
    ]);
  });

  it('allows SAVEPOINT and RELEASE, and statements that merely mention the words', () => {
    expect(keywords('SAVEPOINT a; RELEASE a; RELEASE SAVEPOINT a; SELECT begin, "end" FROM t; UPDATE t SET end = 1;')).toEqual([]);
  });

  it('ends a trigger body only at END after a `;`, so a later COMMIT is still found', () => {
    const trigger = 'CREATE TRIGGER begin AFTER INSERT ON t BEGIN UPDATE t SET end = CASE WHEN 1 THEN 2 END; END;';
    expect(keywords(trigger)).toEqual([]);
    expect(keywords(`${trigger} COMMIT;`)).toEqual(['COMMIT']);
    expect(keywords('CREATE TEMPORARY TRIGGER x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END; END;')).toEqual(['END']);
    // Only a trigger has a body: a column named "begin" opens nothing.
    expect(keywords('CREATE TABLE x (trigger TEXT, begin TEXT); COMMIT;')).toEqual(['COMMIT']);
  });

  it('treats $$ as SQLite does (a parameter, not a quote) and does not nest SQLite comments', () => {
    expect(keywords('SELECT $a$; COMMIT; SELECT $a$;')).toEqual(['COMMIT']);
    expect(keywords("SELECT 1 /* a /* b */; COMMIT; /* it's */")).toEqual(['COMMIT']);
    expect(keywords("SELECT 1 /* a /* b */ ; SELECT 'x */ ; COMMIT;'")).toEqual([]);
  });

  it('skips PostgreSQL dollar-quoted bodies, nested comments and E strings', () => {
    const fn = `CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;
      DO $body$ BEGIN ROLLBACK; END; $inner$ ; $body$;
      SELECT a$b$c; SELECT $1;`;
    expect(keywords(fn, 'postgres')).toEqual([]);
    expect(keywords(`${fn} COMMIT;`, 'postgres')).toEqual(['COMMIT']);
    expect(keywords("/* outer /* inner */ still; COMMIT; */ SELECT E'it\\'s; COMMIT;'; ABORT;", 'postgres')).toEqual(['ABORT']);
    expect(keywords('START TRANSACTION; START x;', 'postgres')).toEqual(['START TRANSACTION']);
  });

  it('skips a PostgreSQL BEGIN ATOMIC body', () => {
    const body = 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;';
    expect(keywords(body, 'postgres')).toEqual([]);
    expect(keywords(`${body} END;`, 'postgres')).toEqual(['END']);
  });
});
