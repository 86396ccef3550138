// `npm run audit -- --since 1h [--account EMAIL] [--json]`: recent auth events, oldest first.
// Exit 0: printed (perhaps nothing); 1: no such account, or the database cannot be read; 2: bad flags.
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { fromCwd, oneLine, runWhenMain, withDotEnv } from '../command-io.ts';
import type { CommandIo } from '../command-io.ts';
import { parseDatabaseUrl } from '../db/connection.ts';
import type { DatabaseLocation } from '../db/connection.ts';
// Everything in a row is shown: nothing secret is stored in audit_log, and nothing is joined in from sessions.
import type { AuditEntry } from './audit-log.ts';

const USAGE =
  'usage: npm run audit -- --since DURATION [--account EMAIL] [--json]\n' +
  '  --since DURATION  events this recent: a number and s, m, h or d (90s, 30m, 1h, 7d)\n' +
  '  --account EMAIL   only this account (any letter case)\n' +
  '  --json            one JSON object per line, for scripts\n';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_SINCE_MS = 100 * 366 * UNIT_MS.d;
const USER_AGENT_WIDTH = 60;

class UsageError extends Error {}
class NotFound extends Error {}

type Options = { since: string; account?: string; json: boolean; help: boolean };
type AuditQuery = { since: string; account?: string };
function parseOptions(args: string[], now: number): Options {
  const given = new Map<string, string>();
  let json = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (flag === '--json' || flag === '--help' || flag === '-h') {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      if (flag === '--json') json = true;
      else help = true;
    } else if (flag === '--since' || flag === '--account') {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        throw new UsageError(`${flag} needs a value`);
      }
      if (given.has(flag)) throw new UsageError(`${flag} is given twice`);
      given.set(flag, value.trim());
    } else if (flag.startsWith('-')) {
      throw new UsageError(`unknown flag ${printable(flag)} (npm run audit -- --help lists the flags)`);
    } else {
      // `npm run audit --since 1h` (no `--`) hands the flag to npm and only "1h" to us.
      throw new UsageError(`unexpected argument "${printable(arg)}" (with npm, put -- before the flags)`);
    }
  }
  if (help) return { since: '', json, help };
  const since = given.get('--since');
  if (since === undefined) throw new UsageError('--since is required, e.g. --since 1h');
  const account = given.get('--account');
  if (account === '') throw new UsageError('--account needs an email');
  return { since: sinceCutoff(since, now), account, json, help };
}

/** The ISO time `value` (like 90s, 30m, 1h, 7d) before `now`; ISO strings compare like `at`. */
function sinceCutoff(value: string, now: number): string {
  const match = /^(\d{1,12})([smhd])$/.exec(value);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]] : 0;
  if (ms <= 0) {
    throw new UsageError(`--since "${printable(value)}" is not a duration; use a number and s, m, h or d, e.g. 90s, 30m, 1h, 7d`);
  }
  if (ms > MAX_SINCE_MS) throw new UsageError(`--since ${value} reaches back more than 100 years`);
  return new Date(now - ms).toISOString();
}

/** All the database access: the same query and the same rows on either engine. */
async function readAuditEvents(location: DatabaseLocation, query: AuditQuery): Promise<AuditEntry[]> {
  return location.kind === 'postgres' ? readPostgres(location.url, query) : readSqlite(location.path, query);
}

async function readPostgres(url: string, query: AuditQuery): Promise<AuditEntry[]> {
  // Loaded only when used: a SQLite setup never needs pg.
  const { readPostgresAuditLog } = await import('../db/postgres/audit-log.ts');
  const entries = await readPostgresAuditLog(url, query.since, query.account);
  if (!entries) throw new NotFound(`no account has the email ${printable(query.account ?? '')}; nothing to show`);
  return entries;
}

async function readSqlite(path: string, query: AuditQuery): Promise<AuditEntry[]> {
  if (!fs.existsSync(path)) {
    throw new Error(`the database ${path} does not exist (check DATABASE_URL)`);
  }
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    let userId: number | undefined;
    if (query.account !== undefined) {
      const user = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE email = ? COLLATE NOCASE').get(query.account);
      if (!user) throw new NotFound(`no account has the email ${printable(query.account)}; nothing to show`);
      userId = user.id;
    }
    const select = `SELECT a.id, a.at, a.event, a.user_id, u.email AS account, a.ip, a.user_agent, a.detail
      FROM audit_log a LEFT JOIN users u ON u.id = a.user_id`;
    return userId === undefined
      ? db.prepare<[string], AuditEntry>(`${select} WHERE a.at >= ? ORDER BY a.at, a.id`).all(query.since)
      : db.prepare<[number, string], AuditEntry>(`${select} WHERE a.user_id = ? AND a.at >= ? ORDER BY a.at, a.id`)
          .all(userId, query.since);
  } catch (error) {
    if (/no such (table|column)/.test((error as Error).message)) {
      throw new Error(`the database's schema is out of date (${(error as Error).message}); run npm run migrate`);
    }
    throw error;
  } finally {
    db.close();
  }
}

function formatTable(entries: AuditEntry[], { since, account }: AuditQuery): string {
  const scope = `${account === undefined ? '' : ` for ${printable(account)}`} since ${since}`;
  if (entries.length === 0) return `no events${scope}\n`;
  const rows = entries.map((entry) => [
    printable(entry.at),
    printable(entry.event),
    printable(entry.account ?? '-'),
    printable(entry.ip ?? '-'),
    shorten(printable(entry.user_agent ?? '-'), USER_AGENT_WIDTH),
    printable(entry.detail ?? '-'),
  ]);
  const header = ['TIME', 'EVENT', 'ACCOUNT', 'IP', 'USER AGENT', 'DETAIL'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const lines = [header, ...rows].map((cells) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd(),
  );
  const count = `${entries.length} event${entries.length === 1 ? '' : 's'}${scope}`;
  return `${lines.join('\n')}\n${count}\n`;
}

function formatJsonLines(entries: AuditEntry[]): string {
  // Still valid JSON, but a terminal showing it cannot be steered by C1 or bidi controls.
  return entries
    .map((entry) => JSON.stringify(entry).replace(/[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, unicodeEscape))
    .map((line) => `${line}\n`)
    .join('');
}

/** User agents and details come from clients: control characters would drive the admin's terminal. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (char) => {
    const code = char.codePointAt(0) as number;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function shorten(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

/** `npm run audit -- …`; returns the exit code. */
export async function runAuditCommand(io: CommandIo): Promise<number> {
  try {
    const options = parseOptions(io.args, Date.now());
    if (options.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const location = parseDatabaseUrl(withDotEnv(io).DATABASE_URL || 'sqlite:data/app.db');
    const query = { since: options.since, account: options.account };
    const entries = await readAuditEvents(location.kind === 'sqlite' ? { kind: 'sqlite', path: fromCwd(io, location.path) } : location, query);
    io.stdout.write(options.json ? formatJsonLines(entries) : formatTable(entries, query));
    return 0;
  } catch (error) {
    io.stderr.write(oneLine('audit', error));
    return error instanceof UsageError ? 2 : 1;
  }
}

runWhenMain(import.meta.url, runAuditCommand);
