// The trustProxy function answers exactly as the address list would, from a per-address cache.
import proxyAddr from '@fastify/proxy-addr';
import { describe, expect, it } from 'vitest';
import { trustProxyOption } from '../../src/http/trust-proxy.ts';
import { startTestApp } from '../helpers/test-app.ts';
import { createCookieJar, csrfFrom } from '../helpers/cookie-jar.ts';
import { auditRows } from '../helpers/audit.ts';

describe('trustProxyOption', () => {
  it('keeps true and false as they are', () => {
    expect(trustProxyOption(true)).toBe(true);
    expect(trustProxyOption(false)).toBe(false);
  });

  it('answers as the compiled list for every address, asked once or many times', () => {
    const list = '127.0.0.1,10.0.0.0/8,::1';
    const cached = trustProxyOption(list) as (address: string, hop: number) => boolean;
    const reference = proxyAddr.compile(list.split(','));
    const addresses = ['127.0.0.1', '10.1.2.3', '11.0.0.1', '::1', '::ffff:10.0.0.9', '2001:db8::1', '192.0.2.1'];
    for (let round = 0; round < 3; round++) {
      for (const [hop, address] of addresses.entries()) expect(cached(address, hop)).toBe(reference(address, hop));
    }
  });

  it('behind a trusted proxy the app records the client address from its header, and a direct client can forge neither address nor HTTPS', async () => {
    const t = await startTestApp({ api: 'v2', env: { NODE_ENV: 'production', TRUST_PROXY: '127.0.0.1', PUBLIC_ORIGIN: 'https://app.example.com' } });
    try {
      const attempt = async (remoteAddress: string) => {
        const headers = { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' };
        const page = await t.app.inject({ method: 'GET', url: '/login', headers, remoteAddress });
        const jar = createCookieJar();
        jar.store(page);
        return t.app.inject({
          method: 'POST',
          url: '/login',
          remoteAddress,
          cookies: jar.cookies,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: page.statusCode === 200 ? csrfFrom(page.body) : '', email: 'nobody@example.com', password: 'x' }).toString(),
        });
      };
      expect((await attempt('127.0.0.1')).statusCode).toBe(401);
      // A direct client's X-Forwarded-Proto is not believed either: production refuses its plain HTTP.
      expect((await attempt('198.51.100.7')).statusCode).toBe(400);
      expect((await auditRows(t)).filter((row) => row.event === 'password-failed').map((row) => row.ip)).toEqual(['203.0.113.5']);
    } finally {
      await t.close();
    }
  });
});
