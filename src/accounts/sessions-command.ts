// `npm run sessions -- --list EMAIL` / `--revoke EMAIL`: an account's sessions, read from where the
// app keeps them (Redis when REDIS_URL is set, else the database), or all of them ended at once.
// Exit 0: done (perhaps nothing to show); 1: no such account, or the database or Redis cannot be
// used; 2: bad flags.
import fs from 'node:fs';
import type { Session } from 'fastify';
import { parseRedisUrl } from '../backends/redis-url.ts';
import { fromCwd, oneLine, runWhenMain, withDotEnv } from '../command-io.ts';
import type { CommandIo } from '../command-io.ts';
import { openDatabase, parseDatabaseUrl } from '../db/connection.ts';
import type { DatabaseLocation } from '../db/connection.ts';
import type { AuthSessionStore } from '../session/auth-session-store.ts';
import { browserName, printable } from '../session/browser-name.ts';
import { sessionRules, stateOf } from '../session/signin-state.ts';
import type { SessionTimes } from '../session/signin-state.ts';
import { createSqliteSessionStore } from '../session/sqlite-session-store.ts';

const USAGE =
  'usage: npm run sessions -- --list EMAIL | --revoke EMAIL\n' +
  '  --list EMAIL    the account’s sessions, one line each: signed in or pending, when it started\n' +
  '                  (a pending one: when its latest code was sent), last request, address, browser\n' +
  '  --revoke EMAIL  ends every session of the account, signed in and pending, and says how many\n' +
  'The email matches in any letter case. Like the app, it reads DATABASE_URL, REDIS_URL,\n' +
  'REDIS_KEY_PREFIX, SESSION_IDLE_MINUTES and SESSION_MAX_HOURS from the environment and .env.\n';

const HOUR_MS = 60 * 60 * 1000;
/** Redis answers within this at the start, or the command gives up (as the app does). */
const REDIS_CONNECT_MS = 5000;

class UsageError extends Error {}

type Action = 'list' | 'revoke';
type Options = { action: Action; email: string } | { action: 'help' };

function parseOptions(args: string[]): Options {
  const given = new Map<Action, string>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    if (flag === '--help' || flag === '-h') {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      help = true;
    } else if (flag === '--list' || flag === '--revoke') {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        throw new UsageError(`${flag} needs an email`);
      }
      const action = flag.slice(2) as Action;
      if (given.has(action)) throw new UsageError(`${flag} is given twice`);
      if (value.trim() === '') throw new UsageError(`${flag} needs an email`);
      given.set(action, value.trim());
    } else if (flag.startsWith('-')) {
      throw new UsageError(`unknown flag ${printable(flag)} (npm run sessions -- --help lists the flags)`);
    } else {
      // `npm run sessions --list a@b.c` (no `--`) hands the flag to npm and only the email to us.
      throw new UsageError(`unexpected argument "${printable(arg)}" (with npm, put -- before the flags)`);
    }
  }
  if (help) return { action: 'help' };
  if (given.size === 2) throw new UsageError('give --list or --revoke, not both');
  const [entry] = given;
  if (!entry) throw new UsageError('--list EMAIL or --revoke EMAIL is required');
  return { action: entry[0], email: entry[1] };
}

/** What the command reads of the app's configuration (src/config.ts): no secrets, no Verify settings. */
type Settings = { database: DatabaseLocation; redisUrl?: string; redisKeyPrefix: string; times: SessionTimes };

function readSettings(env: Record<string, string | undefined>): Settings {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const number = (name: string, fallback: number, min: number, max: number, unit: string) => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new Error(`${name} must be a number of ${unit} from ${min} to ${max}, got "${printable(raw)}"`);
    }
    return Number(raw);
  };
  return {
    database: parseDatabaseUrl(get('DATABASE_URL') ?? 'sqlite:data/app.db'),
    redisUrl: parseRedisUrl(get('REDIS_URL')),
    redisKeyPrefix: get('REDIS_KEY_PREFIX') ?? 'signin:',
    times: {
      idleMs: number('SESSION_IDLE_MINUTES', 30, 1, 1440, 'minutes') * 60_000,
      maxMs: number('SESSION_MAX_HOURS', 12, 1, 720, 'hours') * HOUR_MS,
    },
  };
}

type Account = { id: number; email: string };

/** The database's part: the account by email, and its session store when Redis is not used. */
interface Database {
  findAccount(email: string): Promise<Account | undefined>;
  sessions(): AuthSessionStore;
  close(): Promise<void>;
}

async function openAccountDatabase(location: DatabaseLocation, settings: Settings): Promise<Database> {
  const rules = sessionRules(settings.times, HOUR_MS);
  if (location.kind === 'postgres') {
    // Loaded only when used: a SQLite setup never needs pg.
    const { createPool, query } = await import('../db/postgres/pool.ts');
    const { createPostgresSessionStore } = await import('../db/postgres/session-store.ts');
    const pool = createPool(location.url, { max: 1 });
    return {
      async findAccount(email) {
        // ASCII-only case folding, as the unique index and the account store compare emails.
        const rows = await query<Account>(pool, 'SELECT id, email FROM users WHERE lower(email COLLATE "C") = lower($1 COLLATE "C")', [email]);
        return rows[0];
      },
      sessions: () => createPostgresSessionStore(pool, rules),
      close: () => pool.end(),
    };
  }
  if (!fs.existsSync(location.path)) {
    throw new Error(`the database ${location.path} does not exist (check DATABASE_URL)`);
  }
  const db = openDatabase(location.path);
  try {
    // `email = ?` compares with the column's NOCASE collation, as the account store does.
    const find = db.prepare<[string], Account>('SELECT id, email FROM users WHERE email = ?');
    return {
      findAccount: async (email) => find.get(email),
      sessions: () => createSqliteSessionStore(db, rules),
      close: async () => {
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

async function openRedisSessions(url: string, settings: Settings): Promise<{ sessions: AuthSessionStore; close(): Promise<void> }> {
  const { closeClient, createRedisClient, untilReady } = await import('../state/redis/client.ts');
  const { createRedisSessionStore } = await import('../state/redis/session-store.ts');
  const client = createRedisClient(url);
  await untilReady(client, REDIS_CONNECT_MS);
  return {
    sessions: createRedisSessionStore(client, settings.redisKeyPrefix, sessionRules(settings.times, HOUR_MS)),
    close: () => closeClient(client),
  };
}

/** Runs the action on the account; every connection it opened is closed, whatever happens. */
async function run(options: { action: Action; email: string }, settings: Settings): Promise<string> {
  const database = await openAccountDatabase(settings.database, settings).catch((error: unknown) => {
    throw explain(error);
  });
  const closers: Array<() => Promise<void>> = [() => database.close()];
  try {
    const account = await database.findAccount(options.email);
    if (!account) throw new Error(`no account has the email ${printable(options.email)}`);
    let sessions: AuthSessionStore;
    if (settings.redisUrl) {
      const redis = await openRedisSessions(settings.redisUrl, settings);
      closers.push(() => redis.close());
      sessions = redis.sessions;
    } else {
      sessions = database.sessions();
    }
    if (options.action === 'revoke') {
      const ended = await sessions.endAllForAccount(account.id);
      return `ended ${ended} session${ended === 1 ? '' : 's'} of ${printable(account.email)}\n`;
    }
    return formatList(account, await sessions.listForAccount(account.id), settings.times);
  } catch (error) {
    throw explain(error);
  } finally {
    await Promise.allSettled(closers.map((close) => close()));
  }
}

/** One line an admin can act on, never the URL (it may hold a password). */
function explain(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const backend = (error as { backend?: unknown }).backend;
  if (error.name === 'BackendUnavailableError' && backend === 'redis') {
    return new Error(`could not reach Redis: ${(error.cause as Error | undefined)?.message ?? error.message} (check REDIS_URL)`);
  }
  if (error.name === 'BackendUnavailableError') {
    return new Error(`could not reach PostgreSQL: ${(error.cause as Error | undefined)?.message ?? error.message} (check DATABASE_URL)`);
  }
  // SQLite: no such table/column; PostgreSQL: 42P01 (no such table), 42703 (no such column).
  const code = (error as { code?: unknown }).code;
  if (/no such (table|column)/.test(error.message) || code === '42P01' || code === '42703') {
    return new Error(`the database's schema is out of date (${error.message}); run npm run migrate`);
  }
  return error;
}

type Listed = { sid: string; session: Session };

function formatList(account: Account, listed: Listed[], times: SessionTimes): string {
  const now = Date.now();
  const rows: Array<{ at: number; cells: string[] }> = [];
  // Only what the gate would still accept: a row outlives its sign-in by a grace period.
  for (const { session } of listed) {
    const state = stateOf(session, times, now);
    if (state === 'signed-in' && session.signedIn) {
      const { signedInAt, seenAt, address, userAgent } = session.signedIn;
      rows.push({ at: signedInAt, cells: ['signed in', time(signedInAt), time(seenAt), printable(address ?? '-'), browserName(userAgent)] });
    } else if (state === 'pending' && session.pending) {
      const { sentAt } = session.pending;
      rows.push({ at: sentAt, cells: ['pending', time(sentAt), '-', '-', '-'] });
    }
  }
  const email = printable(account.email);
  if (rows.length === 0) return `no sessions for ${email}\n`;
  rows.sort((a, b) => a.at - b.at);
  const header = ['STATE', 'STARTED', 'LAST SEEN', 'ADDRESS', 'BROWSER'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row.cells[column].length)));
  const lines = [header, ...rows.map((row) => row.cells)].map((cells) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd(),
  );
  return `${lines.join('\n')}\n${rows.length} session${rows.length === 1 ? '' : 's'} for ${email}\n`;
}

const time = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** `npm run sessions -- …`; returns the exit code. */
export async function runSessionsCommand(io: CommandIo): Promise<number> {
  try {
    const options = parseOptions(io.args);
    if (options.action === 'help') {
      io.stdout.write(USAGE);
      return 0;
    }
    const settings = readSettings(withDotEnv(io));
    if (settings.database.kind === 'sqlite') settings.database = { kind: 'sqlite', path: fromCwd(io, settings.database.path) };
    io.stdout.write(await run(options, settings));
    return 0;
  } catch (error) {
    io.stderr.write(oneLine('sessions', error));
    if (error instanceof UsageError) io.stderr.write(USAGE);
    return error instanceof UsageError ? 2 : 1;
  }
}

runWhenMain(import.meta.url, runSessionsCommand);
