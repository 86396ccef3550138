// The list of common passwords a user may not choose (ASVS 6.2.4), shipped with the project in
// common-passwords.txt (its header says where it comes from). Read once, when this module is
// first imported, into a Set: a look-up is one hash, whatever the list's length.
import { readFileSync } from 'node:fs';

const LIST = new URL('./common-passwords.txt', import.meta.url);

/**
 * The form both a candidate and the list are compared in, so that no invisible difference slips a
 * listed password through: NFKC (a no-break or ideographic space becomes a space, a ligature its
 * letters), lower case, format characters (zero-width spaces and joiners, soft hyphens) dropped,
 * and whitespace (spaces, tabs, line breaks) trimmed and collapsed to one space.
 */
export function foldForComparison(password: string): string {
  return password.normalize('NFKC').toLowerCase().replace(/\p{Cf}/gu, '').replace(/\s+/gu, ' ').trim();
}

function load(): Set<string> {
  const entries = new Set<string>();
  for (const line of readFileSync(LIST, 'utf8').split('\n')) {
    if (line !== '' && !line.startsWith('#')) entries.add(foldForComparison(line));
  }
  return entries;
}

const common = load();

/** How many passwords the list holds (for tests and the curious). */
export const COMMON_PASSWORD_COUNT = common.size;

/** Whether the password is on the list, compared as `foldForComparison` folds both. */
export function isCommonPassword(password: string): boolean {
  return common.has(foldForComparison(password));
}
