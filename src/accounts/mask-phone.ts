// "+353851234567" -> "+353 •• ••• 4567": the country code and the last four digits, in the
// number's own grouping (libphonenumber-js), are enough for the user to recognise their phone and
// not enough to read it.
import { parsePhoneNumberFromString } from 'libphonenumber-js';

const KEPT_DIGITS = 4;

/**
 * Masked forms already made: libphonenumber-js takes 50-70 µs a number (measured on 2 cores), as
 * much as the whole signed-in home page, which shows the phone on every view. Bounded: emptied when full.
 */
const masked = new Map<string, string>();
const MASKED_KEPT = 1024;

export function maskPhone(e164: string): string {
  let known = masked.get(e164);
  if (known === undefined) {
    if (masked.size >= MASKED_KEPT) masked.clear();
    known = mask(e164);
    masked.set(e164, known);
  }
  return known;
}

function mask(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 8) return '•••';
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  // No known country code: the last four digits alone.
  if (!parsed) return `••• ${digits.slice(-KEPT_DIGITS)}`;
  const countryCode = `+${parsed.countryCallingCode}`;
  const national = parsed.formatInternational().slice(countryCode.length);
  let toHide = national.replace(/\D/g, '').length - KEPT_DIGITS;
  return countryCode + national.replace(/\d/g, (d) => (toHide-- > 0 ? '•' : d));
}

/** "alice@example.com" -> "a•••@example.com". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 1 ? '•••' : `${email[0]}•••${email.slice(at)}`;
}
