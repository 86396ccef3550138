// What a new phone number a user types must be before a code is sent to it (/account/phone): a
// real number (libphonenumber-js's full metadata, not just a plausible length), one that can take
// an SMS where the metadata can tell (NIST SP 800-63B's out-of-band device: not a landline, a
// toll-free, premium or VoIP number), not the one the account has, and in a country the site
// sends codes to (`served`: VERIFY_ALLOWED_COUNTRIES, checked by src/verify/allowed-countries.ts). Stored as E.164, as every phone in `users` is.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { NumberType } from 'libphonenumber-js/max';

/** Longer than any number written out with spaces and brackets: anything longer is not one. */
export const MAX_PHONE_INPUT_LENGTH = 40;

/** Types whose numbers cannot take a code by SMS (or are a fraud risk, VoIP); `undefined` (unknown) is let through. */
const NOT_MOBILE: ReadonlySet<NumberType> = new Set(['FIXED_LINE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'VOIP', 'PAGER', 'UAN', 'VOICEMAIL']);

export type NewPhone =
  | { ok: true; e164: string; callingCode: string }
  /** `country`: refused for its calling code alone (the caller audits it; nothing else is worth a row). */
  | { ok: false; problem: string; country?: string };

const refuse = (problem: string): NewPhone => ({ ok: false, problem });

/**
 * `typed` as a person writes a number: spaces, dashes, dots, brackets, a leading `+` or `00`. A
 * number without either is read in the country of the current phone (`current`, E.164), as a
 * person writes their own country's numbers.
 */
export function parseNewPhone(typed: string, current: string, served: (e164: string) => boolean): NewPhone {
  const trimmed = typed.trim();
  if (trimmed === '') return refuse('Enter your new phone number.');
  if (trimmed.length > MAX_PHONE_INPUT_LENGTH || !/^[+\d\s().\-/]+$/.test(trimmed)) {
    return refuse('Enter a phone number using digits, spaces and dashes only, e.g. +44 7911 123456.');
  }
  // 00 is the international prefix in most countries; libphonenumber reads it only in those whose prefix it is.
  const international = trimmed.replace(/^00/, '+');
  const defaultCallingCode = parsePhoneNumberFromString(current)?.countryCallingCode;
  const parsed = parsePhoneNumberFromString(international, { defaultCallingCode, extract: false });
  // The same number first: one an admin seeded may not pass today's checks, and this says more.
  if (parsed?.number === current) return refuse('That is already your phone number. Enter the new one.');
  if (!parsed || !parsed.isValid()) {
    return refuse('That is not a valid phone number. Enter it with its country code, e.g. +44 7911 123456.');
  }
  const e164 = parsed.number;
  const callingCode = parsed.countryCallingCode;
  const type = parsed.getType();
  if (type !== undefined && NOT_MOBILE.has(type)) {
    return refuse('That number can’t receive text messages. Enter a mobile phone number.');
  }
  if (!served(e164)) {
    return { ok: false, country: callingCode, problem: `We can't send codes to phone numbers in that country (+${callingCode}). Enter a number in a country we serve.` };
  }
  return { ok: true, e164, callingCode };
}
