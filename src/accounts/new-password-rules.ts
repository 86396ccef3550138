// What a password a user chooses must be (ASVS 6.2.1, 6.2.4, 6.2.11; NIST SP 800-63B 3.1.1.2):
// long enough, not about the account, not on the common-password list and not the one it
// replaces. No composition rules: length and the list do the work.
import { foldForComparison, isCommonPassword } from './common-passwords.ts';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
/** A shorter local part ("al@…") is too likely to occur by chance to forbid inside a password. */
const MIN_LOCAL_PART_TO_MATCH = 3;

export interface PasswordContext {
  /** The account's email. */
  email: string;
  /** The password it replaces (already checked to be the current one). */
  current: string;
}

/**
 * Characters as a person counts them: code points, both as typed and after the NFKC the hash is
 * taken over. The shorter count meets the minimum (one "ﷺ" typed is 18 characters after NFKC,
 * still one keystroke to guess); the longer one meets the maximum, which the sign-in form holds
 * on what is typed (its schema's maxLength counts code points), so that a password accepted here
 * always fits there (600 decomposed accents are 1200 as typed).
 */
const lengthsOf = (password: string) => {
  const typed = [...password].length;
  const normalized = [...password.normalize('NFKC')].length;
  return { shortest: Math.min(typed, normalized), longest: Math.max(typed, normalized) };
};

/** Why the new password is refused (a sentence for the form), or undefined when it is fine. */
export function newPasswordProblem(candidate: string, { email, current }: PasswordContext): string | undefined {
  const { shortest, longest } = lengthsOf(candidate);
  if (shortest < MIN_PASSWORD_LENGTH) return `Your new password must be at least ${MIN_PASSWORD_LENGTH} characters long.`;
  if (longest > MAX_PASSWORD_LENGTH) return `Your new password must be at most ${MAX_PASSWORD_LENGTH} characters long.`;
  const folded = foldForComparison(candidate);
  if (candidate.normalize('NFKC') === current.normalize('NFKC')) {
    return 'Your new password must be different from your current one.';
  }
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const localPart = at < 0 ? address : address.slice(0, at);
  if (folded.includes(address) || (localPart.length >= MIN_LOCAL_PART_TO_MATCH && folded.includes(localPart))) {
    return 'Your new password must not contain your email address or the part of it before the @.';
  }
  if (isCommonPassword(candidate)) return 'That password is on a list of commonly used passwords. Choose one that is harder to guess.';
  return undefined;
}
