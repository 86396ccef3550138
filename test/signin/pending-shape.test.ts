// The pending sign-in says only "password verified, second factor pending"; one stored in the
// shape before (the Verify request ID inside `pending`, no `renewedAt`) reads as timed out.
import type { Session } from 'fastify';
import { describe, expect, it } from 'vitest';
import { hasTimedOut, sessionRules, stateOf } from '../../src/signin/state.ts';

const times = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 };
const asSession = (data: object) => data as unknown as Session;

describe('the pending sign-in shape', () => {
  it('a pending sign-in is pending for 10 minutes after its renewal, then timed out', () => {
    const now = Date.now();
    const session = asSession({ pending: { userId: 1, epoch: 1, renewedAt: now } });
    expect(stateOf(session, times, now + 9 * 60_000)).toBe('pending');
    expect(stateOf(session, times, now + 10 * 60_000)).toBe('anonymous');
    expect(hasTimedOut(session, times, now + 10 * 60_000)).toBe(true);
  });

  it('an old-shape pending sign-in (request ID and sentAt inside it) reads as timed out, and its row gets a finite expiry', () => {
    const now = Date.now();
    const session = asSession({ pending: { userId: 1, epoch: 1, requestId: 'old-request', sentAt: now } });
    expect(stateOf(session, times, now)).toBe('anonymous');
    expect(hasTimedOut(session, times, now)).toBe(true);
    expect(Number.isFinite(sessionRules(times, 60_000).expiresAt(session))).toBe(true);
  });
});
