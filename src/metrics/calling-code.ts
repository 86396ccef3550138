// The calling code of a phone (`+447700900123` → `44`), the one thing about a number a metric may
// carry: SMS prices follow it, and its values are few (about 250). libphonenumber-js knows which
// prefixes are real codes, so a number with an unassigned one reads `unknown` instead of adding a
// label value of its own.
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** parsePhoneNumberFromString answers undefined, never throws, for what is not a phone number. */
export function callingCodeOf(phone: string): string {
  return parsePhoneNumberFromString(phone)?.countryCallingCode ?? 'unknown';
}
