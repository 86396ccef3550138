// Finds statements in a migration that would begin or end a transaction on their own, so the
// runner can refuse the file before any of it runs. A tokenizer, not a parser: it only needs to
// know where top-level statements start, so it skips comments, strings, quoted identifiers,
// dollar-quoted bodies and the BEGIN … END body of a trigger (whose `;` do not end the statement).

export type SqlDialect = 'sqlite' | 'postgres';

export type TransactionStatement = { keyword: string; line: number };

type Token = { kind: 'word' | 'semicolon' | 'other'; text: string; offset: number };

// SQLite's END is COMMIT; PostgreSQL adds ABORT (ROLLBACK) and START TRANSACTION (BEGIN).
// SAVEPOINT and RELEASE stay allowed: inside the runner's transaction they only nest.
const ENDS_OR_BEGINS = new Set(['BEGIN', 'COMMIT', 'END', 'ROLLBACK']);
const POSTGRES_ONLY = new Set(['ABORT']);

const WORD_START = /[A-Za-z_\u0080-\uFFFF]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uFFFF]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uFFFF][A-Za-z0-9_\u0080-\uFFFF]*)?\$/y;

/**
 * Top-level statements of `sql` that start with BEGIN, COMMIT, END or ROLLBACK (any case,
 * any spacing; with TRANSACTION, TO … and so on), plus ABORT and START TRANSACTION on PostgreSQL.
 * The dialect matters: `$$` is a parameter in SQLite but a quote in PostgreSQL, and only
 * PostgreSQL nests block comments, so scanning with the wrong one could miss a statement.
 */
export function findTransactionStatements(sql: string, dialect: SqlDialect = 'sqlite'): TransactionStatement[] {
  const found: TransactionStatement[] = [];
  let words: string[] = []; // the current statement's words, upper case
  let first: Token | undefined; // the current statement's first token
  let inBody = false;
  let atBodyStatementStart = false;

  const finishStatement = () => {
    if (first?.kind === 'word') {
      const keyword = forbiddenKeyword(words, dialect);
      if (keyword) found.push({ keyword, line: lineOf(sql, first.offset) });
    }
    words = [];
    first = undefined;
  };

  for (const token of tokenize(sql, dialect)) {
    if (inBody) {
      // A body holds statements each ending in `;`; its own END is the first word after one.
      // Any other END (CASE … END, a column named "end") closes nothing.
      if (token.kind === 'semicolon') {
        atBodyStatementStart = true;
        continue;
      }
      if (atBodyStatementStart && token.kind === 'word' && token.text.toUpperCase() === 'END') inBody = false;
      atBodyStatementStart = false;
      continue;
    }
    if (token.kind === 'semicolon') {
      finishStatement();
      continue;
    }
    first ??= token;
    if (token.kind !== 'word') continue;
    words.push(token.text.toUpperCase());
    if (opensBody(words, dialect)) {
      inBody = true;
      atBodyStatementStart = true;
    }
  }
  finishStatement();
  return found;
}

function forbiddenKeyword(words: string[], dialect: SqlDialect): string | undefined {
  const [keyword, next] = words;
  if (ENDS_OR_BEGINS.has(keyword)) return keyword;
  if (dialect !== 'postgres') return undefined;
  if (POSTGRES_ONLY.has(keyword)) return keyword;
  if (keyword === 'START' && next === 'TRANSACTION') return 'START TRANSACTION';
  return undefined;
}

/**
 * SQLite: `CREATE [TEMP|TEMPORARY] TRIGGER … BEGIN`. PostgreSQL: `CREATE [OR REPLACE]
 * FUNCTION|PROCEDURE … BEGIN ATOMIC` (other bodies are dollar-quoted strings). Opening early on
 * a trigger named "begin" is harmless: the body still ends only at END after a `;`.
 */
function opensBody(words: string[], dialect: SqlDialect): boolean {
  if (words[0] !== 'CREATE') return false;
  const last = words[words.length - 1];
  if (dialect === 'sqlite') {
    const kind = words[1] === 'TEMP' || words[1] === 'TEMPORARY' ? words[2] : words[1];
    return kind === 'TRIGGER' && last === 'BEGIN';
  }
  const kind = words[1] === 'OR' && words[2] === 'REPLACE' ? words[3] : words[1];
  return (kind === 'FUNCTION' || kind === 'PROCEDURE') && last === 'ATOMIC' && words[words.length - 2] === 'BEGIN';
}

function* tokenize(sql: string, dialect: SqlDialect): Generator<Token> {
  const postgres = dialect === 'postgres';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const start = i;
    const dollarTag = postgres && c === '$' ? dollarTagAt(sql, i) : undefined;
    if (c === '-' && sql[i + 1] === '-') {
      const newline = sql.indexOf('\n', i);
      i = newline === -1 ? sql.length : newline + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = endOfBlockComment(sql, i, postgres);
    } else if (c === "'") {
      // PostgreSQL's E'…' strings also escape with a backslash: E'it\'s'.
      const escapeString = postgres && /[eE]/.test(sql[i - 1] ?? '') && !WORD_CHAR.test(sql[i - 2] ?? '');
      i = endOfQuoted(sql, i, "'", escapeString);
      yield { kind: 'other', text: sql.slice(start, i), offset: start };
    } else if (c === '"' || (!postgres && c === '`')) {
      i = endOfQuoted(sql, i, c, false);
      yield { kind: 'other', text: sql.slice(start, i), offset: start };
    } else if (!postgres && c === '[') {
      const close = sql.indexOf(']', i + 1);
      i = close === -1 ? sql.length : close + 1;
      yield { kind: 'other', text: sql.slice(start, i), offset: start };
    } else if (dollarTag) {
      const close = sql.indexOf(dollarTag, i + dollarTag.length);
      i = close === -1 ? sql.length : close + dollarTag.length;
      yield { kind: 'other', text: sql.slice(start, i), offset: start };
    } else if (c === ';') {
      i += 1;
      yield { kind: 'semicolon', text: c, offset: start };
    } else if (WORD_CHAR.test(c)) {
      while (i < sql.length && WORD_CHAR.test(sql[i])) i += 1;
      // A number (or SQLite's $name parameter) is not a word.
      yield { kind: WORD_START.test(c) ? 'word' : 'other', text: sql.slice(start, i), offset: start };
    } else {
      i += 1;
      if (!/\s/.test(c)) yield { kind: 'other', text: c, offset: start };
    }
  }
}

function endOfBlockComment(sql: string, start: number, nested: boolean): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*' && (nested || depth === 0)) {
      depth += 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** Index just past the closing quote; a doubled quote is an escaped one. Unterminated: the end. */
function endOfQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') {
      i += 2;
    } else if (sql[i] === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

function dollarTagAt(sql: string, i: number): string | undefined {
  DOLLAR_TAG.lastIndex = i;
  return DOLLAR_TAG.exec(sql)?.[0];
}

function lineOf(sql: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (sql[i] === '\n') line += 1;
  return line;
}
