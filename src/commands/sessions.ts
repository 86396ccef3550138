// `npm run sessions -- --list EMAIL` / `--revoke EMAIL`: an account's sessions, read from where the
// app keeps them (Redis when REDIS_URL is set, else the database), or all of them ended at once
// and its remembered browsers forgotten.
// Exit 0: done (perhaps nothing to show); 1: no such account, or the database or Redis cannot be
// used; 2: bad flags.
import type { Session } from 'fastify';
import { browserName } from '../session/browser-name.ts';
import { stateOf } from '../signin/state.ts';
import type { SessionTimes } from '../signin/state.ts';
import type { AdminAccount } from '../storage/backend.ts';
import { emailActionCommand, formatTable, isoTime, printable, runWhenMain, sessionTimes } from './command.ts';
import type { EmailTarget } from './command.ts';

const USAGE =
  'usage: npm run sessions -- --list EMAIL | --revoke EMAIL\n' +
  '  --list EMAIL    the account’s sessions, one line each: signed in or pending, when it started\n' +
  '                  (a pending one: when its latest code was sent), last request, address, browser\n' +
  '  --revoke EMAIL  what "Sign out everywhere" does: ends every session of the account, signed in\n' +
  '                  and pending, forgets every remembered browser (its next sign-in needs a code),\n' +
  '                  moves its session epoch (a sign-in under way ends too), says how many, audited\n' +
  'The email matches in any letter case. Like the app, it reads DATABASE_URL, REDIS_URL,\n' +
  'REDIS_KEY_PREFIX, SESSION_IDLE_MINUTES and SESSION_MAX_HOURS from the environment and .env.\n';

type Action = 'list' | 'revoke';
/**
 * Runs the action on the account (emailActionCommand opened the backends and closes them).
 * --revoke does what "Sign out everywhere" does and more: first a new session
 * epoch (a sign-in in flight, or a session or remembered token written while this runs, no longer
 * matches the account), then every session ends (signed in and pending), every remembered browser
 * is forgotten, and the audit log says so.
 */
async function run(action: Action, { account, backends, config }: EmailTarget): Promise<string> {
  const { sessions } = backends.state;
  if (action === 'revoke') {
    const { database } = backends;
    await database.moveAnySessionEpoch(account.id);
    const ended = await sessions.endAllForAccount(account.id);
    const forgotten = await database.rememberedBrowsers.forgetAccount(account.id);
    await database.audit.record('sessions-revoked-by-admin', ADMIN_ORIGIN, { userId: account.id, detail: `sessions=${ended} remembered=${forgotten}` });
    return (
      `ended ${ended} session${ended === 1 ? '' : 's'} and forgot ${forgotten} remembered browser${forgotten === 1 ? '' : 's'} ` +
      `of ${printable(account.email)}\n`
    );
  }
  return formatList(account, await sessions.listForAccount(account.id), sessionTimes(config));
}

/** Where the audit log says a revoke came from: this machine, this command. */
const ADMIN_ORIGIN = { ip: 'local', headers: { 'user-agent': 'npm run sessions -- --revoke' } };

type Listed = { sid: string; session: Session };

function formatList(account: AdminAccount, listed: Listed[], times: SessionTimes): string {
  const now = Date.now();
  const rows: Array<{ at: number; cells: string[] }> = [];
  // Only what the gate would still accept: a row outlives its sign-in by a grace period. A
  // session of a disabled account, or from before its epoch moved, is kept where the database's
  // triggers cannot reach (Redis) until it expires, but it is over: shown as ended.
  const over = (part: { epoch: number }) => account.disabled || part.epoch !== account.sessionEpoch;
  for (const { session } of listed) {
    const state = stateOf(session, times, now);
    if (state === 'signed-in' && session.signedIn) {
      const { signedInAt, seenAt, address, userAgent } = session.signedIn;
      const shown = over(session.signedIn) ? 'ended' : 'signed in';
      rows.push({ at: signedInAt, cells: [shown, isoTime(signedInAt), isoTime(seenAt), printable(address ?? '-'), browserName(userAgent)] });
    } else if (state === 'pending' && session.pending) {
      const { renewedAt } = session.pending;
      rows.push({ at: renewedAt, cells: [over(session.pending) ? 'ended' : 'pending', isoTime(renewedAt), '-', '-', '-'] });
    }
  }
  const email = printable(account.email);
  if (rows.length === 0) return `no sessions for ${email}\n`;
  rows.sort((a, b) => a.at - b.at);
  const table = formatTable(['STATE', 'STARTED', 'LAST SEEN', 'ADDRESS', 'BROWSER'], rows.map((row) => row.cells));
  const disabled = account.disabled ? ' (the account is disabled: none of them can be used)' : '';
  return `${table}\n${rows.length} session${rows.length === 1 ? '' : 's'} for ${email}${disabled}\n`;
}

/** `npm run sessions -- …`; returns the exit code. */
export const runSessionsCommand = emailActionCommand<Action>('sessions', ['list', 'revoke'], USAGE, run);

runWhenMain(import.meta.url, runSessionsCommand);
