// Every attempt counter, send budget, cooldown and per-sign-in lock, by name. Each is a fixed
// window in the shared store (rate-limiter-flexible): a point is consumed in one atomic upsert
// *before* the work it guards (argon2, a Verify call), so requests arriving together cannot all
// slip under the limit, and the counts survive a restart. The backend (SQLite today) only
// supplies the limiter for a name; the rules live here.
import { createHash } from 'node:crypto';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/** points per window of `seconds`. */
export const LIMITS = {
  /** Password attempts from one address, whatever the account (as before this layer). */
  'password-ip': { points: 20, seconds: MINUTE },
  /** Password attempts for one account from one address. */
  'password-account-ip': { points: 5, seconds: 15 * MINUTE },
  /** Password attempts for one account from all addresses without a device cookie. */
  'password-account': { points: 15, seconds: 15 * MINUTE },
  /** Password attempts from a browser that signed in to the account before (its own budget). */
  'password-device': { points: 5, seconds: 15 * MINUTE },
  /** Code checks for one account, across all its Verify requests and addresses. */
  'code-account': { points: 10, seconds: 15 * MINUTE },
  /** Code-step requests (check, resend) from one address. */
  'code-ip': { points: 30, seconds: MINUTE },
  /** One resend per account per 30 s; a start sets it too. */
  'send-cooldown': { points: 1, seconds: 30 },
  'send-account-hour': { points: 5, seconds: HOUR },
  'send-account-day': { points: 10, seconds: 24 * HOUR },
  'send-phone-hour': { points: 5, seconds: HOUR },
  'send-phone-day': { points: 10, seconds: 24 * HOUR },
  'send-ip-hour': { points: 20, seconds: HOUR },
  /**
   * A passkey challenge answered: once per challenge, for as long as one lives (webauthn.ts's
   * CHALLENGE_TTL_MS). The session forgets it too, but parallel requests may each have loaded the
   * session before the first saved it: this point, taken in the shared store, lets one through.
   */
  'passkey-challenge': { points: 1, seconds: 5 * MINUTE },
  /**
   * A Verify request a sign-in took over (Vonage's "concurrent" answer): whoever started it (a phone
   * change typed this number) must leave it to the number's own sign-in, neither checking guesses
   * against it nor cancelling it. Longer than any request lives (Vonage's at most 15 minutes).
   */
  'verify-shared': { points: 1, seconds: 30 * MINUTE },
  /** Held while one Verify call for a pending sign-in runs; `seconds` is set from the Verify timeout. */
  'verify-call': { points: 1, seconds: 30 },
} as const;

export type LimitName = keyof typeof LIMITS;
export type LimitSettings = { points: number; seconds: number };

/**
 * `remaining`: points left in each counter just taken from, as of this consume (atomic, so usable
 * for decisions). `first`: this refusal is the first of its window (worth one audit line, not 500).
 */
export type Verdict =
  | { ok: true; remaining: Partial<Record<LimitName, number>> }
  | { ok: false; retryAfterMs: number; limit: LimitName; first: boolean };

/** A refund this close to the end of its window is skipped: landing after it, it would open the next window below zero. */
const REFUND_MARGIN_MS = 1000;

/** Keys are stored hashed: the table holds no typed emails, phone numbers or addresses. */
const hashed = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 24);

/** What a counter has spent in its window (an admin's read): points taken of `points`, and when the window ends. */
export type Spent = { consumed: number; points: number; freesInMs: number };

/** What a backend must give: one limiter per name, configured from `settings`. */
export type LimiterFactory = (name: LimitName, settings: LimitSettings) => RateLimiterAbstract;

export interface Limits {
  /** Takes one point from each counter, all or none: if one refuses, the others get theirs back. */
  consume(...entries: Array<[LimitName, string]>): Promise<Verdict>;
  /** Gives back a point taken for work that did not happen (a Verify call that sent nothing). */
  refund(...entries: Array<[LimitName, string]>): Promise<void>;
  /** Adds a point without refusing (starts a cooldown). */
  penalize(name: LimitName, key: string): Promise<void>;
  /** Forgets a counter (a success resets its failure count). */
  reset(...entries: Array<[LimitName, string]>): Promise<void>;
  /** What each counter has spent, taking nothing; undefined for one that is empty or whose window is over. */
  peek(...entries: Array<[LimitName, string]>): Promise<Array<Spent | undefined>>;
  /** Deletes each counter, one atomic delete each (an admin's unlock); how many held points. */
  clear(...entries: Array<[LimitName, string]>): Promise<number>;
}

export function createLimits(factory: LimiterFactory, overrides: Partial<Record<LimitName, LimitSettings>> = {}): Limits {
  const limiters = new Map<LimitName, RateLimiterAbstract>();
  for (const name of Object.keys(LIMITS) as LimitName[]) limiters.set(name, factory(name, overrides[name] ?? LIMITS[name]));
  const limiter = (name: LimitName) => limiters.get(name) as RateLimiterAbstract;
  const pointsOf = (name: LimitName) => (overrides[name] ?? LIMITS[name]).points;

  const refund = async (...entries: Array<[LimitName, string]>) => {
    for (const [name, key] of entries) {
      const current = await limiter(name).get(hashed(key));
      if (current && current.consumedPoints > 0 && current.msBeforeNext > REFUND_MARGIN_MS) await limiter(name).reward(hashed(key), 1);
    }
  };

  return {
    refund,
    async consume(...entries) {
      const taken: Array<[LimitName, string]> = [];
      const remaining: Partial<Record<LimitName, number>> = {};
      for (const [name, key] of entries) {
        try {
          remaining[name] = (await limiter(name).consume(hashed(key))).remainingPoints;
          taken.push([name, key]);
        } catch (rejection) {
          // The refused counter keeps its point (it was an attempt); the others get theirs back.
          await refund(...taken);
          if (rejection instanceof RateLimiterRes) {
            const first = rejection.consumedPoints === pointsOf(name) + 1;
            return { ok: false, retryAfterMs: Math.max(1000, rejection.msBeforeNext), limit: name, first };
          }
          throw rejection; // the store failed: the caller fails closed
        }
      }
      return { ok: true, remaining };
    },
    async penalize(name, key) {
      await limiter(name).penalty(hashed(key), 1);
    },
    async reset(...entries) {
      for (const [name, key] of entries) await limiter(name).delete(hashed(key));
    },
    async peek(...entries) {
      const spent: Array<Spent | undefined> = [];
      for (const [name, key] of entries) {
        // rate-limiter-flexible's get: null for no counter or one whose window has ended.
        const current = await limiter(name).get(hashed(key));
        spent.push(current && current.consumedPoints > 0 ? { consumed: current.consumedPoints, points: pointsOf(name), freesInMs: current.msBeforeNext } : undefined);
      }
      return spent;
    },
    async clear(...entries) {
      let cleared = 0;
      for (const [name, key] of entries) if (await limiter(name).delete(hashed(key))) cleared++;
      return cleared;
    },
  };
}

/** "2 minutes", "30 seconds": for pages that say when to try again. */
export function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hours`;
}
