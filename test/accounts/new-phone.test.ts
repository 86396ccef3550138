// The rules for a new phone number (src/accounts/new-phone.ts): what a person types becomes E.164;
// what cannot take a code, or is the same number, or is in a country not served, is refused.
import { describe, expect, it } from 'vitest';
import { parseNewPhone as parseWith } from '../../src/accounts/new-phone.ts';
import { phoneAllowed } from '../../src/verify/allowed-countries.ts';

/** As the route calls it: VERIFY_ALLOWED_COUNTRIES as calling codes (`[]`: all). */
const parseNewPhone = (typed: string, current: string, allowed: string[]) => parseWith(typed, current, (e164) => phoneAllowed(e164, allowed));

const IRISH = '+353861234567';
const ok = (e164: string, callingCode: string) => ({ ok: true, e164, callingCode });

describe('a new phone number', () => {
  it('reads a number as people type it: spaces, dashes, dots, brackets, a leading + or 00', () => {
    for (const typed of ['+353 85 123 4567', '+353-85-123-4567', '00353 (85) 123.4567', ' +353851234567 ', '+353 (0)85 123 4567']) {
      expect(parseNewPhone(typed, '+15555550100', []), typed).toEqual(ok('+353851234567', '353'));
    }
  });

  it('reads a number without a country code in the country of the current phone', () => {
    expect(parseNewPhone('085 123 4567', IRISH, [])).toEqual(ok('+353851234567', '353'));
    expect(parseNewPhone('(201) 555-0123', '+15555550100', [])).toEqual(ok('+12015550123', '1'));
  });

  it('refuses what is not a number, not a valid one, or not one that takes text messages', () => {
    const problem = (typed: string) => {
      const parsed = parseNewPhone(typed, IRISH, []);
      return parsed.ok ? 'accepted' : parsed.problem;
    };
    expect(problem('')).toBe('Enter your new phone number.');
    expect(problem('+353 85 123 4567 ext. 12')).toMatch(/digits, spaces and dashes only/);
    expect(problem('9'.repeat(41))).toMatch(/digits, spaces and dashes only/);
    expect(problem('+353 85 123')).toMatch(/not a valid phone number/);
    expect(problem('+1 555 555 0100')).toMatch(/not a valid phone number/);
    expect(problem('+44 20 7946 0000')).toMatch(/can’t receive text messages/); // a London landline
    expect(problem('+1 900 555 0100')).toMatch(/can’t receive text messages/); // premium rate
    expect(problem('086 123 4567')).toBe('That is already your phone number. Enter the new one.');
  });

  it('refuses a calling code outside VERIFY_ALLOWED_COUNTRIES, naming only the code', () => {
    expect(parseNewPhone('+447911123456', IRISH, ['353'])).toEqual({
      ok: false,
      country: '44',
      problem: "We can't send codes to phone numbers in that country (+44). Enter a number in a country we serve.",
    });
    expect(parseNewPhone('+447911123456', IRISH, ['353', '44'])).toEqual(ok('+447911123456', '44'));
  });
});
