// The only thing about a phone a metric may carry: its calling code, from a bounded set.
import { describe, expect, it } from 'vitest';
import { callingCodeOf } from '../../src/metrics/calling-code.ts';

describe('callingCodeOf', () => {
  it.each([
    ['+15555550100', '1'],
    ['+447700900123', '44'],
    ['+353851234567', '353'],
    ['+4930123456', '49'],
    ['+80012345678', '800'],
  ])('%s has calling code %s', (phone, code) => expect(callingCodeOf(phone)).toBe(code));

  it.each(['+9991234567', '+12', '', 'not a phone', '+'])('reads %o as unknown instead of inventing a label value', (phone) => {
    expect(callingCodeOf(phone)).toBe('unknown');
  });
});
