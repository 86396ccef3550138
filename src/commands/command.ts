// What every admin command shares: its arguments, environment, working directory and output as
// one CommandIo, flags, the app's own configuration (src/config.ts, `.env` included), the backends
// it assembles (src/storage/backends.ts), a table, and one line per failure with an exit code:
// 0 done, 1 failed, 2 bad flags.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStorageConfig, withDotEnv } from '../config.ts';
import type { StorageConfig } from '../config.ts';
import { printable } from '../session/browser-name.ts';
import { sessionRules } from '../signin/state.ts';
import type { SessionTimes } from '../signin/state.ts';
import { applyPendingMigrations, describeBackends, openBackends } from '../storage/backends.ts';
import type { Backends } from '../storage/backends.ts';
import type { AdminAccount } from '../storage/backend.ts';

export { printable };

const HOUR_MS = 60 * 60 * 1000;

/**
 * What a command reads and writes, passed in rather than taken from `process`, so the tests run a
 * command in their own process (a spawned Node costs ~150 ms idle and seconds on a loaded machine)
 * and only a smoke test per command spawns it (runWhenMain).
 */
export interface CommandIo {
  args: string[];
  /** The process environment, without .env: readConfig adds it. */
  env: Record<string, string | undefined>;
  /** The working directory: where .env is read and relative paths start. */
  cwd: string;
  stdout: Output;
  stderr: Output;
}
export type Output = { write(text: string): unknown };
type Streams = Pick<CommandIo, 'stdout' | 'stderr'>;

/** A failure with its own exit code (bad flags: 2). */
export class CommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export class UsageError extends CommandError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** `--name VALUE` / `--name=VALUE` flags ('email' when the value is one) and `--name` switches; `--help` and `-h` always. */
export type FlagSpec = Record<string, 'value' | 'email' | 'switch'>;
export type Flags = { values: Map<string, string>; switches: Set<string>; help: boolean };

export function parseFlags(command: string, args: string[], spec: FlagSpec): Flags {
  const flags: Flags = { values: new Map(), switches: new Set(), help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const kind = flag === '--help' || flag === '-h' ? 'switch' : spec[flag];
    if (kind === 'switch') {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      if (flag === '--help' || flag === '-h') flags.help = true;
      else flags.switches.add(flag);
    } else if (kind === 'value' || kind === 'email') {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        throw new UsageError(`${flag} needs ${kind === 'email' ? 'an email' : 'a value'}`);
      }
      if (flags.values.has(flag)) throw new UsageError(`${flag} is given twice`);
      flags.values.set(flag, value.trim());
    } else if (flag.startsWith('-')) {
      throw new UsageError(`unknown flag ${printable(flag)} (npm run ${command} -- --help lists the flags)`);
    } else {
      // `npm run audit --since 1h` (no `--`) hands the flag to npm and only "1h" to us.
      throw new UsageError(`unexpected argument "${printable(arg)}" (with npm, put -- before the flags)`);
    }
  }
  return flags;
}

/**
 * Commands of the shape `--ACTION EMAIL` with exactly one of two actions (`sessions --list/--revoke`,
 * `limits --show/--clear`): which one and its email, or help.
 */
export function parseEmailAction<A extends string>(command: string, args: string[], actions: readonly [A, A]): { action: A; email: string } | { action: 'help' } {
  const [one, other] = actions;
  const flags = parseFlags(command, args, { [`--${one}`]: 'email', [`--${other}`]: 'email' });
  if (flags.help) return { action: 'help' };
  for (const [flag, value] of flags.values) if (value === '') throw new UsageError(`${flag} needs an email`);
  if (flags.values.size === 2) throw new UsageError(`give --${one} or --${other}, not both`);
  const [entry] = flags.values;
  if (!entry) throw new UsageError(`--${one} EMAIL or --${other} EMAIL is required`);
  return { action: entry[0].slice(2) as A, email: entry[1] };
}

/** A moment as the commands print it: ISO 8601 in UTC to the second, or '-' when there is none. */
export const isoTime = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** Columns padded to their widest cell, two spaces apart; the last one is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows]
    .map((cells) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd())
    .join('\n');
}

/**
 * The server's configuration, read the way the server reads it: the environment, then `.env`, both
 * from `io`; a SQLite file and the migration folders are relative to its working directory.
 */
export function readConfig(io: CommandIo): StorageConfig {
  const config = loadStorageConfig(withDotEnv(io.env, io.cwd));
  const { database } = config;
  return {
    ...config,
    database: database.kind === 'sqlite' && database.path !== ':memory:' ? { kind: 'sqlite', path: path.resolve(io.cwd, database.path) } : database,
    migrationsDirs: config.migrationsDirs.map((dir) => path.resolve(io.cwd, dir)),
  };
}

export const sessionTimes = (config: StorageConfig): SessionTimes => ({
  idleMs: config.sessionIdleMinutes * 60_000,
  maxMs: config.sessionMaxHours * HOUR_MS,
});

/**
 * Says first which backends the command reads (on stderr when stdout is for machines), then
 * opens them as the app does. `sessions: false` leaves Redis out; `migrate: false` uses the
 * database as it is.
 */
export async function openCommandBackends(
  config: StorageConfig,
  use: { sessions: boolean; migrate: boolean; quiet?: boolean },
  io: Streams,
): Promise<Backends> {
  const settings = { ...config, redisUrl: use.sessions ? config.redisUrl : undefined };
  (use.quiet ? io.stderr : io.stdout).write(`${printable(describeBackends(settings, use))}\n`);
  return openBackends(
    { ...settings, migrate: use.migrate, onMigrationWait: (message) => io.stderr.write(`${message}\n`) },
    { rules: sessionRules(sessionTimes(config), HOUR_MS), limitOverrides: {} },
  );
}

/** Says first which database it migrates, then applies what is pending there; the names applied. */
export async function migrateForCommand(config: StorageConfig, io: Streams): Promise<string[]> {
  io.stdout.write(`${printable(describeBackends(config, { sessions: false }))}\n`);
  return applyPendingMigrations({ ...config, onMigrationWait: (message) => io.stderr.write(`${message}\n`) });
}

/** One line an admin can act on, never a URL (it may hold a password). */
export function explain(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const backend = (error as { backend?: unknown }).backend;
  const cause = (error.cause as Error | undefined)?.message ?? error.message;
  if (error.name === 'BackendUnavailableError' && backend === 'redis') return new Error(`could not reach Redis: ${cause} (check REDIS_URL)`);
  if (error.name === 'BackendUnavailableError') return new Error(`could not reach PostgreSQL: ${cause} (check DATABASE_URL)`);
  // SQLite: no such table/column; PostgreSQL: 42P01 (no such table), 42703 (no such column).
  const code = (error as { code?: unknown }).code;
  if (/no such (table|column)/.test(error.message) || code === '42P01' || code === '42703') {
    return new Error(`the database's schema is out of date (${error.message}); run npm run migrate`);
  }
  return error;
}

/**
 * Runs a command's `main` on `io`: its errors become one line on io.stderr. Returns the exit code
 * (runWhenMain sets it on the process; the tests read it).
 */
export async function runCommand<Io extends Pick<CommandIo, 'stderr'>>(
  command: string,
  main: (io: Io) => Promise<void>,
  io: Io,
  onUsageError?: () => void,
): Promise<number> {
  try {
    await main(io);
    return 0;
  } catch (error) {
    const explained = explain(error);
    const message = explained instanceof Error ? explained.message : String(explained);
    io.stderr.write(`${command}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (error instanceof UsageError) onUsageError?.();
    return error instanceof CommandError ? error.exitCode : 1;
  }
}

/** What an `--ACTION EMAIL` command acts on: the account (disabled ones too) and the open backends. */
export interface EmailTarget {
  account: AdminAccount;
  backends: Backends;
  config: StorageConfig;
}

/**
 * The whole of an `--ACTION EMAIL` command (`sessions --list/--revoke`, `limits --show/--clear`):
 * `--help` prints its usage; an action opens the backends where the app keeps its sessions and
 * counters (never migrating), finds the account, prints what `run` returns, and closes every
 * connection whatever happens; a usage error prints the usage on stderr after the error.
 * Returns the exit code, as runCommand does.
 */
export function emailActionCommand<A extends string>(
  command: string,
  actions: readonly [A, A],
  usage: string,
  run: (action: A, target: EmailTarget) => Promise<string>,
): (io: CommandIo) => Promise<number> {
  const main = async (io: CommandIo) => {
    const options = parseEmailAction(command, io.args, actions);
    if (!('email' in options)) {
      io.stdout.write(usage);
      return;
    }
    const config = readConfig(io);
    const backends = await openCommandBackends(config, { sessions: true, migrate: false }, io);
    try {
      const account = await backends.database.findAnyAccount(options.email);
      if (!account) throw new Error(`no account has the email ${printable(options.email)}`);
      io.stdout.write(await run(options.action, { account, backends, config }));
    } finally {
      await backends.close();
    }
  };
  return (io) => runCommand(command, main, io, () => io.stderr.write(usage));
}

/** A command run as `node src/commands/….ts`: the process's own arguments, environment and streams. */
export type ProcessIo = CommandIo & { stdin: NodeJS.ReadStream };

/**
 * When `moduleUrl` is the file Node was started with (`npm run audit`, …), runs the command on this
 * process and sets its exit code; when the module is imported (the tests), does nothing.
 */
export function runWhenMain(moduleUrl: string, command: (io: ProcessIo) => Promise<number>): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  // `npm run audit … | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const io = { args: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  void command(io).then((code) => {
    process.exitCode = code;
  });
}
