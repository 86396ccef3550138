// `npm run sessions -- --list EMAIL` / `--revoke EMAIL`: an account's sessions, read from where the
// app keeps them (Redis when REDIS_URL is set, else the database), or all of them ended at once.
// Exit 0: done (perhaps nothing to show); 1: no such account, or the database or Redis cannot be
// used; 2: bad flags.
import type { Session } from 'fastify';
import { browserName } from '../session/browser-name.ts';
import { stateOf } from '../session/signin-state.ts';
import type { SessionTimes } from '../session/signin-state.ts';
import { formatTable, openCommandBackends, parseFlags, printable, readConfig, runCommand, sessionTimes, UsageError } from './command.ts';

const USAGE =
  'usage: npm run sessions -- --list EMAIL | --revoke EMAIL\n' +
  '  --list EMAIL    the account’s sessions, one line each: signed in or pending, when it started\n' +
  '                  (a pending one: when its latest code was sent), last request, address, browser\n' +
  '  --revoke EMAIL  ends every session of the account, signed in and pending, and says how many\n' +
  'The email matches in any letter case. Like the app, it reads DATABASE_URL, REDIS_URL,\n' +
  'REDIS_KEY_PREFIX, SESSION_IDLE_MINUTES and SESSION_MAX_HOURS from the environment and .env.\n';

type Action = 'list' | 'revoke';
type Options = { action: Action; email: string } | { action: 'help' };

function parseOptions(args: string[]): Options {
  const flags = parseFlags('sessions', args, { '--list': 'email', '--revoke': 'email' });
  if (flags.help) return { action: 'help' };
  for (const [flag, value] of flags.values) if (value === '') throw new UsageError(`${flag} needs an email`);
  if (flags.values.size === 2) throw new UsageError('give --list or --revoke, not both');
  const [entry] = flags.values;
  if (!entry) throw new UsageError('--list EMAIL or --revoke EMAIL is required');
  return { action: entry[0].slice(2) as Action, email: entry[1] };
}

/** Runs the action on the account where the app keeps its sessions; every connection is closed, whatever happens. */
async function run(options: { action: Action; email: string }): Promise<string> {
  const config = readConfig();
  const backends = await openCommandBackends(config, { sessions: true, migrate: false });
  try {
    const account = await backends.database.findAnyAccount(options.email);
    if (!account) throw new Error(`no account has the email ${printable(options.email)}`);
    const { sessions } = backends.state;
    if (options.action === 'revoke') {
      const ended = await sessions.endAllForAccount(account.id);
      return `ended ${ended} session${ended === 1 ? '' : 's'} of ${printable(account.email)}\n`;
    }
    return formatList(account, await sessions.listForAccount(account.id), sessionTimes(config));
  } finally {
    await backends.close();
  }
}

type Listed = { sid: string; session: Session };

function formatList(account: { email: string }, listed: Listed[], times: SessionTimes): string {
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
  const table = formatTable(['STATE', 'STARTED', 'LAST SEEN', 'ADDRESS', 'BROWSER'], rows.map((row) => row.cells));
  return `${table}\n${rows.length} session${rows.length === 1 ? '' : 's'} for ${email}\n`;
}

const time = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.action === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  process.stdout.write(await run(options));
}

runCommand('sessions', main, () => process.stderr.write(USAGE));
