import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/verify/outcome-messages.ts';
import type { VerifyFailure } from '../../src/verify/verify-client.ts';

const ALL: VerifyFailure[] = [
  'wrong-code',
  'too-many-attempts',
  'expired',
  'concurrent',
  'invalid-number',
  'unreachable-number',
  'throttled',
  'cancel-too-soon',
  'no-more-events',
  'rejected',
  'unavailable',
];

describe('describeFailure', () => {
  it('gives the agreed status, wording and restart flag', () => {
    expect(describeFailure('wrong-code')).toEqual({
      status: 401,
      message: "That code isn't right. Check the message and try again.",
      restart: false,
    });
    expect(describeFailure('too-many-attempts')).toEqual({
      status: 401,
      message: 'Too many wrong codes. Sign in again to get a new one.',
      restart: true,
    });
    expect(describeFailure('expired')).toMatchObject({ restart: true });
    expect(describeFailure('unavailable')).toEqual({
      status: 503,
      message: "We couldn't reach the verification service. Please try again in a moment.",
      restart: false,
    });
    expect(describeFailure('rejected').status).toBe(503);
    expect(describeFailure('throttled').status).toBe(429);
    for (const k of ['invalid-number', 'unreachable-number'] as const) {
      expect(describeFailure(k)).toEqual({
        status: 422,
        message: "We can't send a code to the phone number on your account. Contact your administrator.",
        restart: false,
      });
    }
  });

  it('has a plain, distinct-enough message for every kind, with no jargon', () => {
    for (const kind of ALL) {
      const m = describeFailure(kind);
      expect(m.status).toBeGreaterThanOrEqual(400);
      expect(m.message.length).toBeGreaterThan(20);
      expect(m.message).toMatch(/[.!]$/);
      expect(m.message).not.toMatch(/vonage|api|request[ _]id|status|http|\d{3}/i);
    }
    // Only the dead-request kinds send the user back to sign in.
    expect(ALL.filter((k) => describeFailure(k).restart).sort()).toEqual(['expired', 'too-many-attempts']);
  });

  it('returns a copy, and treats an unknown kind as unavailable', () => {
    describeFailure('wrong-code').status = 200;
    expect(describeFailure('wrong-code').status).toBe(401);
    expect(describeFailure('toString' as VerifyFailure)).toEqual(describeFailure('unavailable'));
  });
});
