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

  it('finds a common password behind spaces, tabs, no-break or zero-width spaces and full-width letters', () => {
    for (const slipped of [' qwerty123456', 'qwerty123456 ', '  qwerty123456\t', '\u00a0qwerty123456', 'qwerty123456\u3000', 'qwerty\u200b123456', 'ｑｗｅｒｔｙ１２３４５６']) {
      expect(isCommonPassword(slipped), JSON.stringify(slipped)).toBe(true);
      expect(newPasswordProblem(slipped, context), JSON.stringify(slipped)).toMatch(/commonly used passwords/);
    }
    // Letters inside stay letters: a space added between two words is another password.
    expect(isCommonPassword('qwerty 123456')).toBe(false);
  });

  it('counts the minimum on what was typed too: a character NFKC expands is one character', () => {
    expect('\ufdfa'.normalize('NFKC').length).toBeGreaterThanOrEqual(12);
    expect(newPasswordProblem('\ufdfa', context)).toMatch(/at least 12/);
    expect(newPasswordProblem('\ufdfa'.repeat(11), context)).toMatch(/at least 12/);
    expect(newPasswordProblem('\ufdfa'.repeat(12), context)).toBeUndefined();
  });

  it('counts the maximum on what was typed too, as the sign-in form does: 600 decomposed accents are 1200 characters', () => {
    const decomposed = 'e\u0301'.repeat(600);
    expect([...decomposed.normalize('NFKC')]).toHaveLength(600);
    expect(newPasswordProblem(decomposed, context)).toMatch(/at most 1024/);
    expect(newPasswordProblem('e\u0301'.repeat(512), context)).toBeUndefined();
    expect(newPasswordProblem('e\u0301'.repeat(513), context)).toMatch(/at most 1024/);
  });
});

