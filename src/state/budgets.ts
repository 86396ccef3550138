// The sign-in's budgets, built on the named limits: which counters a password attempt, a code
// check and a code send take from, and what a success gives back. Each is consumed before the
// work it guards and refunded when that work did not happen.
import { normalizeEmail } from '../accounts/email.ts';
import type { LimitName, Limits, Spent, Verdict } from './limits.ts';

type Entry = [LimitName, string];

/** The per-account-and-address password counter's key: the typed (normalized) email and the address key. */
const accountFromAddress = (email: string, address: string) => `${email} ${address}`;

/** A number's send budgets for phone changes to it, kept apart from its sign-ins' (reserveSend). */
const newPhoneKey = (phone: string) => `new-phone ${phone}`;

/** One counter an account or its phone spends, with what it is keyed by, in words for an admin. */
export type AccountBudget = { entry: Entry; keyedBy: string };

/**
 * Every counter kept for this account, keyed as the sign-in keys them: by its email, its id, its
 * phone, and by its email from each address (`addresses`: address keys, found by the caller, e.g.
 * in the audit log). What no account leads to is left out: a remembered browser's own password
 * budget is keyed by a random cookie value, and the per-address budgets are the network's.
 */
export function accountBudgets(account: { id: number; email: string; phone: string }, addresses: string[], phoneShown: string): AccountBudget[] {
  const email = normalizeEmail(account.email);
  const id = String(account.id);
  return [
    { entry: ['password-account', email], keyedBy: 'email' },
    ...addresses.map((address): AccountBudget => ({ entry: ['password-account-ip', accountFromAddress(email, address)], keyedBy: `email from ${address}` })),
    { entry: ['code-account', id], keyedBy: 'account' },
    { entry: ['send-cooldown', id], keyedBy: 'account' },
    { entry: ['send-account-hour', id], keyedBy: 'account' },
    { entry: ['send-account-day', id], keyedBy: 'account' },
    { entry: ['send-phone-hour', account.phone], keyedBy: `phone ${phoneShown}` },
    { entry: ['send-phone-day', account.phone], keyedBy: `phone ${phoneShown}` },
    // Codes sent to this number by phone changes (anyone's, this account's after its own change).
    { entry: ['send-phone-hour', newPhoneKey(account.phone)], keyedBy: `phone ${phoneShown} as a new number` },
    { entry: ['send-phone-day', newPhoneKey(account.phone)], keyedBy: `phone ${phoneShown} as a new number` },
  ];
}

export interface Reservation {
  verdict: Verdict;
  /** The attempt did not happen after all (a Verify call that failed sent nothing): give its points back. */
  refund(): Promise<void>;
}

export interface PasswordAttempt {
  email: string;
  ip: string;
  /** The browser's device key for this account, when it signed in to it before. */
  device?: string;
}

export function createBudgets(limits: Limits) {
  const reserve = async (entries: Entry[]): Promise<Reservation> => {
    const verdict = await limits.consume(...entries);
    return { verdict, refund: () => (verdict.ok ? limits.refund(...entries) : Promise.resolve()) };
  };

  /** The account's counters for this attempt: a known browser has its own, others share the account's. */
  const passwordEntries = ({ email, ip, device }: PasswordAttempt): Entry[] =>
    device
      ? [['password-device', device]]
      : [
          ['password-account-ip', accountFromAddress(email, ip)],
          ['password-account', email],
        ];

  return {
    /** Keyed by the typed address whether or not an account has it, so a 429 says nothing about existence. */
    reservePassword: (attempt: PasswordAttempt) => reserve(passwordEntries(attempt)),

    /** A right password: this browser's and address's failures are forgiven; the account-wide count gets this attempt back. */
    async passwordSucceeded(attempt: PasswordAttempt): Promise<void> {
      const [own, shared] = passwordEntries(attempt);
      await limits.reset(own);
      if (shared) await limits.refund(shared);
    },

    /** Whether this reservation took the account-wide budget's last point: the moment it locks. */
    lockedAccount: ({ verdict }: Reservation): boolean => verdict.ok && verdict.remaining['password-account'] === 0,

    reserveCode: (userId: number) => reserve([['code-account', String(userId)]]),
    codeSucceeded: (userId: number) => limits.reset(['code-account', String(userId)]),

    /** A sign-in took over this running Verify request (see 'verify-shared' in limits.ts). */
    async markVerifyShared(requestId: string): Promise<void> {
      await limits.penalize('verify-shared', requestId);
    },
    /** Whether a sign-in took over this Verify request: then a phone change that started it lets it be. */
    async verifyShared(requestId: string): Promise<boolean> {
      const [spent] = await limits.peek(['verify-shared', requestId]);
      return spent !== undefined && spent.consumed > 0;
    },

    /**
     * A Verify start or resend. A resend waits out the account's cooldown; a start begins it.
     * Both count against the account's, the phone's and the address's send budgets. `newPhone`
     * (a phone change: the number is not the account's yet) counts against that number's budgets
     * for changes, kept apart from its sign-ins': anyone signed in can type any number, and must
     * not spend its owner's sign-in codes. A number whose own budget is spent takes no change either.
     */
    async reserveSend(
      kind: 'start' | 'resend',
      { userId, phone, ip, newPhone = false }: { userId: number; phone: string; ip: string; newPhone?: boolean },
    ): Promise<Reservation> {
      const account = String(userId);
      if (newPhone) {
        const spent = await limits.peek(['send-phone-hour', phone], ['send-phone-day', phone]);
        const full = spent.findIndex((used) => used !== undefined && used.consumed >= used.points);
        if (full !== -1) {
          const verdict: Verdict = { ok: false, retryAfterMs: Math.max(1000, (spent[full] as Spent).freesInMs), limit: full === 0 ? 'send-phone-hour' : 'send-phone-day', first: false };
          return { verdict, refund: () => Promise.resolve() };
        }
      }
      const phoneKey = newPhone ? newPhoneKey(phone) : phone;
      const entries: Entry[] = [
        ['send-account-hour', account],
        ['send-account-day', account],
        ['send-phone-hour', phoneKey],
        ['send-phone-day', phoneKey],
        ['send-ip-hour', ip],
      ];
      if (kind === 'resend') {
        return reserve([['send-cooldown', account], ...entries]);
      }
      const reservation = await reserve(entries);
      if (!reservation.verdict.ok) return reservation;
      await limits.penalize('send-cooldown', account);
      return { verdict: reservation.verdict, refund: async () => {
        await reservation.refund();
        await limits.refund(['send-cooldown', account]);
      } };
    },

    /** One Verify call at a time per Verify request (pending sessions may share one); the returned release ends the hold. */
    async holdVerifyCalls(verifyRequestId: string): Promise<(() => Promise<void>) | undefined> {
      const verdict = await limits.consume(['verify-call', verifyRequestId]);
      // A release that fails (the store went away meanwhile) must not turn a finished request into an
      // error: the hold then simply expires after its window.
      return verdict.ok ? () => limits.reset(['verify-call', verifyRequestId]).catch(() => undefined) : undefined;
    },
  };
}

export type Budgets = ReturnType<typeof createBudgets>;
