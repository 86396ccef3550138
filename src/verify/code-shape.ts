// The one rule for what a user typed into the code box: spaces and dashes dropped, then exactly
// VERIFY_CODE_LENGTH digits (the codes this app asks Vonage for are digits). The code step answers
// 400 for anything else before it takes a lock or an attempt; the adapters apply the same rule, so
// a direct caller cannot send Vonage something that is not a code either.

/** '123 456' → '123456'; `undefined` when what is left is not `length` digits. */
export function normalizeCode(typed: string, length: number): string | undefined {
  const code = typed.replace(/[\s-]/g, '');
  return code.length === length && /^\d+$/.test(code) ? code : undefined;
}

/**
 * The code field's `pattern` (browsers match the whole value): `length` digits, or the 16 of a
 * recovery code (code.ts takes those in the same field); spaces and dashes may separate digits.
 */
export function codeFieldPattern(length: number): string {
  return `[ \\-]*(?:[0-9][ \\-]*){${length}}|[ \\-]*(?:[0-9][ \\-]*){16}`;
}

/** The code field's `maxlength`: room for a grouped recovery code ('1234 5678 9012 3456') or the code with a separator per digit. */
export function codeFieldMaxLength(length: number): number {
  return Math.max(24, length * 2);
}

/** What the code page says when what was typed is not a code. */
export function codeShapeError(length: number): string {
  return `Enter the ${length}-digit code from the message: digits only.`;
}
