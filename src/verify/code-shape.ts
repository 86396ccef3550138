// The one rule for what a user typed into the code box: spaces and dashes dropped, then 4–10
// digits (the codes this app asks Vonage for are digits). The code step answers 400 for anything
// else before it takes a lock or an attempt; the adapters apply the same rule, so a direct caller
// cannot send Vonage something that is not a code either.

const CODE_SHAPE = /^\d{4,10}$/;

/** '123 456' → '123456'; `undefined` when what is left cannot be a code. */
export function normalizeCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '');
  return CODE_SHAPE.test(code) ? code : undefined;
}
