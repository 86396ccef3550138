import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone } from '../../src/accounts/mask-phone.ts';

describe('maskPhone', () => {
  it.each([
    ['+353851234567', '+353 •• ••• 4567'], // Irish: a three-digit country code, not "+35"
    ['+15555550100', '+1 ••• ••• 0100'],
    ['+4915123456789', '+49 •••• •••6789'],
    ['+33612345678', '+33 • •• •• 56 78'],
  ])('keeps %s country code and last four digits in the number own grouping', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
  });

  it('shows only the last four digits of a number with no known country code, and nothing of a short one', () => {
    expect(maskPhone('+99955550100')).toBe('••• 0100');
    expect(maskPhone('+1234567')).toBe('•••');
  });

  it('answers each number the same however many others were masked in between (its memo is bounded)', () => {
    const first = maskPhone('+353851234567');
    for (let i = 0; i < 1100; i++) expect(maskPhone(`+4477009${String(i).padStart(5, '0')}`)).toMatch(new RegExp(`${String(i).padStart(5, '0').slice(-4)}$`));
    expect(maskPhone('+353851234567')).toBe(first);
    expect(first).toBe('+353 •• ••• 4567');
  });
});

describe('maskEmail', () => {
  it('keeps the first letter and the domain', () => {
    expect(maskEmail('alice@example.com')).toBe('a•••@example.com');
  });
});
