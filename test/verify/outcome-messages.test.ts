// What describeFailure promises the routes and the user, rather than a copy of its table: the
// wording can change freely as long as these hold.
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/verify/outcome-messages.ts';
import type { VerifyFailure } from '../../src/verify/verify-client.ts';

/** What the user has to do next, for each kind (typed so that a new kind must be placed here). */
const NEXT_STEP = {
  'wrong-code': 'retype the code',
  'too-many-attempts': 'sign in again',
  expired: 'sign in again',
  concurrent: 'use the code already sent',
  'no-more-events': 'use the code already sent',
  'cancel-too-soon': 'wait, then retry',
  throttled: 'wait, then retry',
  unavailable: 'wait, then retry',
  'invalid-number': 'ask an administrator',
  'unreachable-number': 'ask an administrator',
  rejected: 'ask an administrator',
} as const satisfies Record<VerifyFailure, string>;
type NextStep = (typeof NEXT_STEP)[VerifyFailure];

const ALL = Object.keys(NEXT_STEP) as VerifyFailure[];
/** Vonage's request is gone: only a new sign-in gets a new code. */
const DEAD_REQUEST: VerifyFailure[] = ['too-many-attempts', 'expired'];
/** Our side or Vonage's, not the user's: these are server errors (and what monitoring counts). */
const OUR_FAULT: VerifyFailure[] = ['unavailable', 'rejected'];

/** The message says what to do: the user cannot see the failure kind. */
const SAYS_NEXT_STEP: Record<NextStep, RegExp> = {
  'retype the code': /\btry again\b/i,
  'sign in again': /\bsign in again\b/i,
  'use the code already sent': /\benter (that|the) code\b/i,
  'wait, then retry': /\b(wait|in a moment|later)\b/i,
  'ask an administrator': /\badministrator\b/i,
};

describe('describeFailure', () => {
  it('gives every kind an error status the routes can answer with: 4xx for the user, 5xx for our side', () => {
    for (const kind of ALL) {
      const { status } = describeFailure(kind);
      const [low, high] = OUR_FAULT.includes(kind) ? [500, 599] : [400, 499];
      expect(Number.isInteger(status) && status >= low && status <= high, `${kind} answers ${status}`).toBe(true);
    }
    // The same status as every other "slow down" the app answers (rate limits, error pages).
    expect(describeFailure('throttled').status).toBe(429);
    // A wrong code answers like a wrong password on the step before.
    expect(describeFailure('wrong-code').status).toBe(401);
  });

  it('sends the user back to sign in only when the Verify request is dead', () => {
    for (const kind of ALL) expect(describeFailure(kind).restart, kind).toBe(DEAD_REQUEST.includes(kind));
  });

  it('tells the user what to do next, in plain words', () => {
    for (const kind of ALL) {
      const { message } = describeFailure(kind);
      expect(message, kind).toMatch(SAYS_NEXT_STEP[NEXT_STEP[kind]]);
      expect(message, kind).toMatch(/^[A-Z].{20,}[.!]$/s);
    }
  });

  it('uses no jargon: no vendor, API, status code or internal name', () => {
    for (const kind of ALL) {
      const { message } = describeFailure(kind);
      expect(message, kind).not.toMatch(/vonage|nexmo|\bapi\b|request[ _-]?id|\bstatus\b|\bhttp|\berror\b|\bnull\b|undefined|\d{3}/i);
      for (const name of ALL.filter((k) => k.includes('-'))) expect(message, kind).not.toContain(name);
    }
  });

  it('words kinds differently whenever the user has to do something different', () => {
    for (const a of ALL) {
      for (const b of ALL) {
        if (NEXT_STEP[a] === NEXT_STEP[b]) continue;
        expect(describeFailure(a).message, `${a} vs ${b}`).not.toBe(describeFailure(b).message);
      }
    }
  });

  it('treats a kind it does not know as a passing outage: a 5xx, no restart, never a crash', () => {
    for (const unknown of ['no-such-kind', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const outcome = describeFailure(unknown as VerifyFailure);
      expect(outcome, unknown).toEqual(describeFailure('unavailable'));
      expect(outcome.status).toBeGreaterThanOrEqual(500);
      expect(outcome.restart).toBe(false);
    }
  });

  it('returns a copy, so a caller cannot change what the next caller gets', () => {
    const first = describeFailure('wrong-code');
    const status = first.status;
    first.status = 200;
    first.restart = true;
    first.message = 'changed';
    expect(describeFailure('wrong-code')).toMatchObject({ status, restart: false });
    expect(describeFailure('wrong-code').message).not.toBe('changed');
  });
});
