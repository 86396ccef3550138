import { describe, expect, it } from 'vitest';
import { parseAllowedCountries, phoneAllowed } from '../../src/verify/allowed-countries.ts';

describe('VERIFY_ALLOWED_COUNTRIES', () => {
  it('unset allows every country', () => {
    expect(parseAllowedCountries(undefined)).toEqual([]);
    expect(phoneAllowed('+15555550100', [])).toBe(true);
    expect(phoneAllowed('+8613800138000', [])).toBe(true);
  });

  it('reads calling codes, tolerating a leading + and repeated or trailing commas, without duplicates', () => {
    expect(parseAllowedCountries('1,+44, 353,,44,')).toEqual(['1', '44', '353']);
    expect(parseAllowedCountries('7')).toEqual(['7']);
  });

  it.each(['0', '01', '44a', '++44', '1234', '+', 'UK', '2', '35', '12', '123', '441', '7 1', '1-44'])(
    'refuses "%s", naming the variable and the entry',
    (entry) => {
      expect(() => parseAllowedCountries(`1,${entry}`)).toThrow(`VERIFY_ALLOWED_COUNTRIES: "${entry}" is not a country calling code`);
    },
  );

  it('refuses a list with no codes at all, rather than allow every country', () => {
    expect(() => parseAllowedCountries(' , ')).toThrow(/^VERIFY_ALLOWED_COUNTRIES has no calling codes/);
  });

  it('matches phones by their calling code prefix', () => {
    const allowed = parseAllowedCountries('1,44,353');
    expect(phoneAllowed('+15555550100', allowed)).toBe(true);
    expect(phoneAllowed('+447700900123', allowed)).toBe(true);
    expect(phoneAllowed('+353861234567', allowed)).toBe(true);
    expect(phoneAllowed('+33612345678', allowed)).toBe(false);
    expect(phoneAllowed('+4915112345678', allowed)).toBe(false);
    expect(phoneAllowed('+35412345678', allowed)).toBe(false);
  });

  it('refuses a phone that is not E.164 when a list is set', () => {
    expect(phoneAllowed('15555550100', ['1'])).toBe(false);
    expect(phoneAllowed('+1 555 555 0100', ['1'])).toBe(false);
    expect(phoneAllowed('', ['1'])).toBe(false);
  });
});
