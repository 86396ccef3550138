// `npm run limits -- --show EMAIL` / `--clear EMAIL`: what an account and its phone have spent of
// each budget (src/state/budgets.ts) and when each frees, read where the app counts them (Redis
// when REDIS_URL is set, else the database); or every one of them cleared for a locked-out user.
// Exit 0: done (perhaps nothing spent); 1: no such account, or the database or Redis cannot be
// used; 2: bad flags.
import { maskPhone } from '../accounts/mask-phone.ts';
import { addressKey } from '../http/address-key.ts';
import { accountBudgets } from '../state/budgets.ts';
import type { AccountBudget } from '../state/budgets.ts';
import { describeWait, LIMITS } from '../state/limits.ts';
import type { Spent } from '../state/limits.ts';
import type { Backends } from '../storage/backends.ts';
import type { AdminAccount } from '../storage/backend.ts';
import { emailActionCommand, formatTable, isoTime, printable, runWhenMain } from './command.ts';
import type { EmailTarget } from './command.ts';

const USAGE =
  'usage: npm run limits -- --show EMAIL | --clear EMAIL\n' +
  '  --show EMAIL   each budget the account and its phone spend: what is spent, whether it refuses\n' +
  '                 now, and when it frees\n' +
  '  --clear EMAIL  deletes all of them (a locked-out user can sign in at once), audited\n' +
  'The email matches in any letter case. Like the app, it reads DATABASE_URL, REDIS_URL and\n' +
  'REDIS_KEY_PREFIX from the environment and .env.\n';

/** What no account leads to, said under every answer so an admin knows what else may refuse. */
const NOT_COVERED =
  'Not kept per account, so not shown or cleared here: the per-address budgets (password-ip, code-ip,\n' +
  'send-ip-hour: shared by everyone at that address) and a remembered browser’s own password budget\n' +
  '(password-device: keyed by a random cookie value). Each frees by itself within its window (at most\n' +
  'an hour). The per-address password budget of the account (password-account-ip) is found for the\n' +
  'addresses its audit events came from in the last 15 minutes.\n';

type Action = 'show' | 'clear';
/** The address keys the account's recent audit events came from: where its password-account-ip counters can be. */
async function recentAddresses(backends: Backends, account: AdminAccount): Promise<string[]> {
  // One window back, and a minute more for a clock that differs between this machine and the database's.
  const since = new Date(Date.now() - (LIMITS['password-account-ip'].seconds + 60) * 1000).toISOString();
  const events = (await backends.database.auditTrail.eventsSince(since, account.email)) ?? [];
  const addresses = events.flatMap(({ ip }) => (ip && ip !== ADMIN_ORIGIN.ip ? [addressKey(ip)] : []));
  return [...new Set(addresses)];
}

/** Where the audit log says a clear came from: this machine, this command. */
const ADMIN_ORIGIN = { ip: 'local', headers: { 'user-agent': 'npm run limits -- --clear' } };

async function run(action: Action, { account, backends }: EmailTarget): Promise<string> {
  const budgets = accountBudgets(account, await recentAddresses(backends, account), maskPhone(account.phone));
  const { limits } = backends.state;
  const entries = budgets.map(({ entry }) => entry);
  const spent = await limits.peek(...entries);
  const email = printable(account.email);
  if (action === 'show') return `${formatShow(budgets, spent, Date.now())}\n${NOT_COVERED}`;

  // What had points is read only to say so; the delete itself is unconditional, one atomic delete per counter.
  const had = budgets.filter((_, i) => spent[i]).map(({ entry: [name], keyedBy }) => `${name} (${keyedBy})`);
  await limits.clear(...entries);
  await backends.database.audit.record('limits-cleared-by-admin', ADMIN_ORIGIN, { userId: account.id, detail: `cleared=${had.length}` });
  const list = had.length ? `: ${printable(had.join(', '))}` : ' (none had anything spent)';
  return `cleared ${had.length} budget${had.length === 1 ? '' : 's'} of ${email}${list}\n${NOT_COVERED}`;
}

function formatShow(budgets: AccountBudget[], spent: Array<Spent | undefined>, now: number): string {
  const rows = budgets.map(({ entry: [name], keyedBy }, i) => {
    const used = spent[i];
    const points = LIMITS[name].points;
    if (!used) return [name, keyedBy, `0 of ${points}`, 'open', '-'];
    const state = used.consumed >= used.points ? 'REFUSING' : 'open';
    const frees = used.freesInMs >= 0 ? `${isoTime(now + used.freesInMs)} (in ${describeWait(used.freesInMs)})` : 'never (no expiry)';
    return [name, keyedBy, `${Math.min(used.consumed, used.points)} of ${used.points}`, state, frees];
  });
  return `${formatTable(['BUDGET', 'KEYED BY', 'SPENT', 'NOW', 'FREES'], rows.map((row) => row.map(printable)))}\n`;
}

/** `npm run limits -- …`; returns the exit code. */
export const runLimitsCommand = emailActionCommand<Action>('limits', ['show', 'clear'], USAGE, run);

runWhenMain(import.meta.url, runLimitsCommand);
