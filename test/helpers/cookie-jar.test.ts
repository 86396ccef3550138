// The tests' cookie jar keeps cookies the way a browser does: per Path, until they expire, the
// latest one of a name winning, Secure and `__Host-` ones only over TLS.
import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCookieJar, requestUrl } from './cookie-jar.ts';

const SITE = 'http://127.0.0.1:3000';

describe('cookie jar', () => {
  afterEach(() => vi.useRealTimers());

  it('sends a cookie only under its Path', () => {
    const jar = createCookieJar(SITE);
    jar.storeHeaders(`${SITE}/login`, ['everywhere=1; Path=/', 'step=2; Path=/login', 'default=3']);
    // no Path attribute: the request path's folder, here /
    expect(jar.cookiesFor('/')).toEqual({ everywhere: '1', default: '3' });
    expect(jar.cookiesFor('/login')).toEqual({ everywhere: '1', step: '2', default: '3' });
    expect(jar.cookiesFor('/login/code')).toEqual({ everywhere: '1', step: '2', default: '3' });
    expect(jar.cookiesFor('/loginx')).toEqual({ everywhere: '1', default: '3' });
    expect(jar.header(`${SITE}/login`)).toBe('step=2; everywhere=1; default=3');
    // the same host on another port is the same site for cookies; another host is not
    expect(jar.cookiesFor('http://127.0.0.1:4000/')).toEqual({ everywhere: '1', default: '3' });
    expect(jar.cookiesFor('http://localhost:3000/')).toEqual({});
  });

  it('replaces a cookie of the same name and path, and keeps one of another path beside it', () => {
    const jar = createCookieJar(SITE);
    jar.storeHeaders(`${SITE}/`, ['sid=old; Path=/', 'sid=scoped; Path=/login']);
    jar.storeHeaders(`${SITE}/`, ['sid=new; Path=/']);
    expect(jar.cookiesFor('/')).toEqual({ sid: 'new' });
    // the longer path comes first, as a server reading the first `sid` would take it
    expect(jar.cookiesFor('/login')).toEqual({ sid: 'scoped' });
    expect(jar.header('/login')).toBe('sid=scoped; sid=new');
  });

  it('drops a cookie on Max-Age=0, on an Expires in the past, and once its Max-Age has passed', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2030-01-01T00:00:00Z') });
    const jar = createCookieJar(SITE);
    jar.storeHeaders(`${SITE}/`, ['a=1; Path=/', 'b=2; Path=/', 'short=3; Path=/; Max-Age=60', 'dated=4; Path=/; Expires=Tue, 01 Jan 2030 00:10:00 GMT']);
    jar.storeHeaders(`${SITE}/`, ['a=; Path=/; Max-Age=0', 'b=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(jar.cookies).toEqual({ short: '3', dated: '4' });
    vi.setSystemTime(Date.parse('2030-01-01T00:01:00Z'));
    expect(jar.cookies).toEqual({ dated: '4' });
    vi.setSystemTime(Date.parse('2030-01-01T00:10:00Z'));
    expect(jar.cookies).toEqual({});
    expect(jar.all()).toEqual([]);
  });

  it('deleting a cookie under one path leaves the one under another', () => {
    const jar = createCookieJar(SITE);
    jar.storeHeaders(`${SITE}/`, ['sid=root; Path=/', 'sid=scoped; Path=/login']);
    jar.storeHeaders(`${SITE}/`, ['sid=; Path=/login; Max-Age=0']);
    expect(jar.cookiesFor('/login')).toEqual({ sid: 'root' });
  });

  it('keeps and sends Secure and __Host- cookies over https only, loopback included', () => {
    const jar = createCookieJar(SITE);
    const header = '__Host-sid=s1; Path=/; Secure; HttpOnly';
    jar.storeHeaders(`${SITE}/`, [header, 'plain=1; Path=/; Secure']);
    expect(jar.all()).toEqual([]);
    jar.storeHeaders('https://127.0.0.1:3000/', [header, '__Host-bad=1; Path=/login; Secure', '__Host-nosecure=1; Path=/']);
    expect(jar.cookiesFor('https://127.0.0.1:3000/login')).toEqual({ '__Host-sid': 's1' });
    expect(jar.cookiesFor(`${SITE}/`)).toEqual({});
    expect(jar.sessionId()).toBe('s1');
    expect(() => jar.set('__Host-x=1; Path=/', 'https://127.0.0.1:3000/')).toThrow(/__Host/);
  });

  it('stores an app.inject response for the URL it went to, over TLS when X-Forwarded-Proto says so', async () => {
    const app = Fastify();
    app.get('/here/page', (_req, reply) => {
      reply.header('set-cookie', ['near=1', 'secure=2; Path=/; Secure']);
      return 'ok';
    });
    try {
      const plain = createCookieJar();
      plain.store(await app.inject({ method: 'GET', url: '/here/page?x=1' }));
      expect(plain.cookiesFor('/here/other')).toEqual({ near: '1' });
      expect(plain.cookiesFor('/')).toEqual({});
      expect(plain.cookies).toEqual({ near: '1' }); // the page it is on

      const tls = createCookieJar();
      tls.store(await app.inject({ method: 'GET', url: '/here/page', headers: { 'x-forwarded-proto': 'https' } }));
      expect(tls.cookiesFor(requestUrl('/here/page', { 'x-forwarded-proto': 'https' }))).toEqual({ near: '1', secure: '2' });
      expect(tls.cookiesFor(requestUrl('/here/page'))).toEqual({ near: '1' });
      expect(tls.cookies).toEqual({ near: '1', secure: '2' });
    } finally {
      await app.close();
    }
  });

  it('gives values decoded (as app.inject and the server take them) and sends them as they came', () => {
    const jar = createCookieJar(SITE);
    jar.storeHeaders(`${SITE}/`, ['sig=a%2Bb%2Fc; Path=/', 'raw=a+b/c; Path=/', 'odd=100%; Path=/']);
    expect(jar.cookies).toEqual({ sig: 'a+b/c', raw: 'a+b/c', odd: '100%' });
    expect(jar.header('/')).toBe('sig=a%2Bb%2Fc; raw=a+b/c; odd=100%');
  });

  it('cookies is a read-only copy; set() and copyFrom() change the jar', () => {
    const jar = createCookieJar(SITE);
    jar.set('device=abc; Path=/');
    expect(() => Object.assign(jar.cookies, { device: 'forged' })).toThrow(TypeError);
    expect(jar.cookies).toEqual({ device: 'abc' });

    const same = createCookieJar(SITE);
    jar.storeHeaders('https://127.0.0.1:3000/', ['__Host-sid=s2; Path=/; Secure; Max-Age=3600', 'scoped=1; Path=/login']);
    same.copyFrom(jar);
    expect(same.cookiesFor('https://127.0.0.1:3000/login')).toEqual({ scoped: '1', device: 'abc', '__Host-sid': 's2' });
    expect(same.cookiesFor('http://localhost/')).toEqual({}); // still host-only
  });
});
