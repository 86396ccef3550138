import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/http/address-key.ts';

describe('addressKey', () => {
  it('keeps an IPv4 address as it is, also when mapped into IPv6', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('puts every address of one IPv6 /64 under one key, however it is written', () => {
    const keys = ['2001:db8::1', '2001:db8:0:0::2', '2001:0db8:0000:0000:ffff:1:2:3', '2001:DB8::abcd:1'].map(addressKey);
    expect(new Set(keys)).toEqual(new Set(['2001:db8:0:0::/64']));
  });

  it('keeps different /64s apart', () => {
    expect(addressKey('2001:db8:0:1::1')).not.toBe(addressKey('2001:db8:0:2::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80:1:2:3:4:5:6:7')).toBe('fe80:1:2:3::/64');
  });
});
