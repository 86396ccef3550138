// `npm run audit -- --since 1h [--account EMAIL] [--json]`: recent auth events, oldest first.
// Exit 0: printed (perhaps nothing); 1: no such account, or the database cannot be read; 2: bad flags.
// Everything in a row is shown: nothing secret is stored in audit_log, and nothing is joined in from sessions.
import type { AuditEntry } from '../accounts/audit-log.ts';
import { formatTable, openCommandBackends, parseFlags, printable, readConfig, runCommand, runWhenMain, UsageError } from './command.ts';
import type { CommandIo } from './command.ts';

const USAGE =
  'usage: npm run audit -- --since DURATION [--account EMAIL] [--json]\n' +
  '  --since DURATION  events this recent: a number and s, m, h or d (90s, 30m, 1h, 7d)\n' +
  '  --account EMAIL   only this account (any letter case)\n' +
  '  --json            one JSON object per line, for scripts\n';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_SINCE_MS = 100 * 366 * UNIT_MS.d;
const USER_AGENT_WIDTH = 60;

type Options = { since: string; account?: string; json: boolean; help: boolean };
type AuditQuery = { since: string; account?: string };

function parseOptions(args: string[], now: number): Options {
  const flags = parseFlags('audit', args, { '--since': 'value', '--account': 'value', '--json': 'switch' });
  const json = flags.switches.has('--json');
  if (flags.help) return { since: '', json, help: true };
  const since = flags.values.get('--since');
  if (since === undefined) throw new UsageError('--since is required, e.g. --since 1h');
  const account = flags.values.get('--account');
  if (account === '') throw new UsageError('--account needs an email');
  return { since: sinceCutoff(since, now), account, json, help: false };
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

function formatEvents(entries: AuditEntry[], { since, account }: AuditQuery): string {
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
  const table = formatTable(['TIME', 'EVENT', 'ACCOUNT', 'IP', 'USER AGENT', 'DETAIL'], rows);
  return `${table}\n${entries.length} event${entries.length === 1 ? '' : 's'}${scope}\n`;
}

function formatJsonLines(entries: AuditEntry[]): string {
  // Still valid JSON, but a terminal showing it cannot be steered by C1 or bidi controls.
  return entries
    .map((entry) => JSON.stringify(entry).replace(/[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, unicodeEscape))
    .map((line) => `${line}\n`)
    .join('');
}

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function shorten(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, width - 1).join('')}…`;
}

async function main(io: CommandIo): Promise<void> {
  const options = parseOptions(io.args, Date.now());
  if (options.help) {
    io.stdout.write(USAGE);
    return;
  }
  const query = { since: options.since, account: options.account };
  // With --json, stdout is one JSON object per line and nothing else: the backends line goes to stderr.
  const backends = await openCommandBackends(readConfig(io), { sessions: false, migrate: false, quiet: options.json }, io);
  try {
    const entries = await backends.database.auditTrail.eventsSince(query.since, query.account);
    if (!entries) throw new Error(`no account has the email ${printable(query.account ?? '')}; nothing to show`);
    io.stdout.write(options.json ? formatJsonLines(entries) : formatEvents(entries, query));
  } finally {
    await backends.close();
  }
}

/** `npm run audit -- …`; returns the exit code. */
export const runAuditCommand = (io: CommandIo): Promise<number> => runCommand('audit', main, io);

runWhenMain(import.meta.url, runAuditCommand);
