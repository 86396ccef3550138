// Which phones may be sent a code (VERIFY_ALLOWED_COUNTRIES): an allowlist of calling codes stops
// SMS-pumping fraud from spending money on destinations the site never serves.
//
// Calling codes are a prefix code (no valid code begins another), so a prefix match on the digits
// is exact. That only holds for real codes: "123" would match US numbers in area code 23x, and
// "441" every UK number starting 1. So entries are checked against the 1- and 2-digit codes: a
// shorter code may not be extended, and a 1- or 2-digit entry must itself be a code.

const ONE_DIGIT = new Set(['1', '7']);
const TWO_DIGIT = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

function isCallingCode(code: string): boolean {
  if (code.length === 1) return ONE_DIGIT.has(code);
  if (ONE_DIGIT.has(code[0])) return false;
  if (code.length === 2) return TWO_DIGIT.has(code);
  return !TWO_DIGIT.has(code.slice(0, 2));
}

/**
 * Parses `1,44,+353` into `['1', '44', '353']` (unset: `[]`, meaning every country).
 * Throws an Error naming VERIFY_ALLOWED_COUNTRIES and the bad entry.
 */
export function parseAllowedCountries(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const codes: string[] = [];
  for (const entry of raw.split(',').map((s) => s.trim())) {
    if (entry === '') continue; // a trailing or doubled comma is harmless
    const code = /^\+?([1-9]\d{0,2})$/.exec(entry)?.[1];
    if (code === undefined || !isCallingCode(code)) {
      throw new Error(`VERIFY_ALLOWED_COUNTRIES: "${entry}" is not a country calling code (comma-separated, e.g. 1,44,353)`);
    }
    if (!codes.includes(code)) codes.push(code);
  }
  // Set but empty (e.g. ",") would silently mean "all countries": surely not what was meant.
  if (codes.length === 0) throw new Error(`VERIFY_ALLOWED_COUNTRIES has no calling codes ("${raw}"); unset it to allow every country`);
  return codes;
}

/** Whether an E.164 phone (`+15555550100`) may be sent a code; `[]` allows every phone. */
export function phoneAllowed(phone: string, allowedCountries: string[]): boolean {
  if (allowedCountries.length === 0) return true;
  const digits = /^\+(\d+)$/.exec(phone.trim())?.[1];
  if (digits === undefined) return false;
  return allowedCountries.some((code) => digits.startsWith(code));
}
