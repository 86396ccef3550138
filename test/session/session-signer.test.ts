import { Signer } from '@fastify/cookie';
import { describe, expect, it } from 'vitest';
import { signOnceSigner } from '../../src/session/session-signer.ts';

const CURRENT = 'c'.repeat(32);
const OLD = 'o'.repeat(32);

describe('signOnceSigner', () => {
  const plain = new Signer([CURRENT]);

  it('signs exactly like @fastify/cookie', () => {
    expect(signOnceSigner([CURRENT, OLD]).sign('abc')).toBe(plain.sign('abc'));
  });

  it('after verifying a current-secret cookie, signing that ID returns the cookie itself', () => {
    const signer = signOnceSigner([CURRENT, OLD]);
    const cookie = plain.sign('session-id');
    expect(signer.unsign(cookie)).toMatchObject({ valid: true, renew: false, value: 'session-id' });
    expect(signer.sign('session-id')).toBe(cookie);
    expect(signer.sign('another-id')).toBe(plain.sign('another-id'));
  });

  it('re-signs an old-secret cookie under the current secret', () => {
    const signer = signOnceSigner([CURRENT, OLD]);
    const oldCookie = new Signer([OLD]).sign('session-id');
    expect(signer.unsign(oldCookie)).toMatchObject({ valid: true, renew: true, value: 'session-id' });
    expect(signer.sign('session-id')).toBe(plain.sign('session-id'));
  });

  it('refuses a forged cookie and forgets the last verified one', () => {
    const signer = signOnceSigner([CURRENT]);
    signer.unsign(plain.sign('session-id'));
    expect(signer.unsign('session-id.forged').valid).toBe(false);
    expect(signer.sign('session-id')).toBe(plain.sign('session-id'));
  });
});
