import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORD_COUNT, isCommonPassword } from '../../src/accounts/common-passwords.ts';
import { newPasswordProblem } from '../../src/accounts/new-password-rules.ts';

const context = { email: 'Alice.Smith@Example.com', current: 'the current one, long enough' };

describe('the rules a new password must meet', () => {
  it('ships a list of more than 10,000 common passwords, matched whatever the letter case', () => {
    expect(COMMON_PASSWORD_COUNT).toBeGreaterThan(10_000);
    for (const password of ['123456', 'password', 'qwerty123456', 'QWERTY123456', 'LeaveMeAlone']) expect(isCommonPassword(password), password).toBe(true);
    expect(isCommonPassword('a passphrase nobody has used')).toBe(false);
    expect(isCommonPassword('# Common passwords, most common first')).toBe(false); // the file's header is no entry
  });

  it('counts characters, not UTF-16 units or bytes, after NFKC', () => {
    expect(newPasswordProblem('😀'.repeat(11), context)).toMatch(/at least 12/);
    expect(newPasswordProblem('😀'.repeat(12), context)).toBeUndefined();
    expect(newPasswordProblem('é'.repeat(1024), context)).toBeUndefined();
    expect(newPasswordProblem('é'.repeat(1025), context)).toMatch(/at most 1024/);
  });

  it('refuses the email or its local part anywhere in it, whatever the case, and the current password', () => {
    expect(newPasswordProblem('ALICE.SMITH@example.COM', context)).toMatch(/email address/);
    expect(newPasswordProblem('xx-alice.smith-2024', context)).toMatch(/email address/);
    expect(newPasswordProblem(context.current, context)).toMatch(/different from your current one/);
    // a different case of the current one is a different password (the hash says so too)
    expect(newPasswordProblem(context.current.toUpperCase(), context)).toBeUndefined();
  });

  it('does not refuse a password for holding a very short local part by chance', () => {
    expect(newPasswordProblem('jo rides a bicycle', { email: 'jo@example.com', current: 'something else entirely' })).toBeUndefined();
    expect(newPasswordProblem('bob rides a bicycle', { email: 'bob@example.com', current: 'something else entirely' })).toMatch(/email address/);
  });
});
