// "+15555550100" -> "+1 ••• ••• 0100": enough for the user to recognise their phone, not enough to read it.
const ONE_DIGIT_COUNTRY_CODES = new Set(['1', '7']);

export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  if (digits.length < 8) return '•••';
  const ccLength = ONE_DIGIT_COUNTRY_CODES.has(digits[0]) ? 1 : 2;
  const hidden = digits.length - ccLength - 4;
  const groups: string[] = [];
  for (let left = hidden; left > 0; left -= 3) groups.push('•'.repeat(Math.min(3, left)));
  return `+${digits.slice(0, ccLength)} ${groups.join(' ')} ${digits.slice(-4)}`;
}
