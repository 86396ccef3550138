// The list of common passwords a user may not choose (ASVS 6.2.4), shipped with the project in
// common-passwords.txt (its header says where it comes from). Read once, when this module is
// first imported, into a Set: a look-up is one hash, whatever the list's length.
import { readFileSync } from 'node:fs';

const LIST = new URL('./common-passwords.txt', import.meta.url);

function load(): Set<string> {
  const entries = new Set<string>();
  for (const line of readFileSync(LIST, 'utf8').split('\n')) {
    if (line !== '' && !line.startsWith('#')) entries.add(line.toLowerCase());
  }
  return entries;
}

const common = load();

/** How many passwords the list holds (for tests and the curious). */
export const COMMON_PASSWORD_COUNT = common.size;

/** Whether the password is on the list, ignoring letter case (the list is lower case). */
export function isCommonPassword(password: string): boolean {
  return common.has(password.normalize('NFKC').toLowerCase());
}
