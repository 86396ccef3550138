// The tests' one cookie jar, on tough-cookie (RFC 6265): cookies are kept per host and Path, a
// cookie whose Expires or Max-Age has passed (Max-Age=0, Expires in 1970) is gone, a later cookie
// of the same name, host and path replaces the earlier one, and `__Host-`/`__Secure-` cookies
// obey their prefix rules. Used with app.inject (store(response)) and with fetch (storeHeaders).
//
// Secure cookies go only over https, loopback included (browsers make an exception for
// 127.0.0.1; this jar does not, so a test can't forget that production sits behind TLS). A test
// says a request came over TLS the way the app's proxy does: `x-forwarded-proto: https`.
// The clock is Date's, so a faked Date (TestApp.moveClock) expires cookies as it would in a browser.
import type { LightMyRequestResponse as Response } from 'fastify';
import { Cookie, CookieJar as ToughJar } from 'tough-cookie';

/** Where app.inject sends a request: its default Host is localhost. */
export const INJECT_ORIGIN = 'http://localhost';

export interface CookieJar {
  /**
   * name → value of what a browser would send to the page the jar last stored cookies from (at first
   * `origin`/): a copy, read-only; change cookies with set(). Values are URI-decoded, as app.inject's
   * `cookies` option and a server's cookie parser take them (header() gives them as sent).
   */
  readonly cookies: Readonly<Record<string, string>>;
  /** name → value of what a browser would send to `url` (a path is taken on the current page's origin). */
  cookiesFor(url: string): Record<string, string>;
  /** The Cookie header a browser would send to `url` ('' if none). */
  header(url: string): string;
  /** The Set-Cookie headers of an app.inject response, for the URL (and scheme) its request went to. */
  store(response: Response): void;
  /** Set-Cookie headers (e.g. fetch's `response.headers.getSetCookie()`) of a response from `url`. */
  storeHeaders(url: string, setCookies: readonly string[]): void;
  /** As if `url` (default: the current page) had answered `Set-Cookie: <setCookie>`; throws if a browser would refuse it. */
  set(setCookie: string, url?: string): void;
  /** Every cookie of another jar, attributes and all: the same browser, e.g. after a server restart. */
  copyFrom(other: CookieJar): void;
  /** The session cookie's value (`sid`, or `__Host-sid` in production), if the browser would send one. */
  sessionId(): string | undefined;
  /** Every cookie kept, as `name=value; attributes` (expired ones dropped), for test failure messages. */
  all(): string[];
}

/** The URL a request went to, `https:` when the request says it came through a TLS proxy. */
export function requestUrl(path: string, headers: Record<string, unknown> = {}, origin = INJECT_ORIGIN): string {
  const url = new URL(path, origin);
  const proto = String(headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  if (proto === 'https' || proto === 'http') url.protocol = `${proto}:`;
  return url.href;
}

export function createCookieJar(origin = INJECT_ORIGIN): CookieJar {
  // Secure means https, even on loopback; prefix rules enforced (a bad `__Host-` cookie is dropped).
  const tough = new ToughJar(undefined, { allowSecureOnLocal: false, prefixSecurity: 'strict' });
  let page = new URL('/', origin).href;
  const at = (url: string) => new URL(url, page).href;
  const cookiesFor = (url: string) => {
    const cookies: Record<string, string> = {};
    // Longest path first: that is the one a server reading `name` takes, so it is the one kept here.
    for (const cookie of tough.getCookiesSync(at(url))) cookies[cookie.key] ??= decode(cookie.value);
    return cookies;
  };
  const jar: CookieJar = {
    get cookies() {
      return Object.freeze(cookiesFor(page));
    },
    cookiesFor,
    header: (url) => tough.getCookieStringSync(at(url)),
    store(response) {
      const { req } = response.raw;
      const url = requestUrl(req.url ?? '/', req.headers, `http://${req.headers.host ?? 'localhost'}`);
      jar.storeHeaders(url, ([] as string[]).concat(response.headers['set-cookie'] ?? []));
    },
    storeHeaders(url, setCookies) {
      page = at(url);
      // A browser ignores a cookie it refuses (bad prefix, Secure over http); so does the jar.
      for (const setCookie of setCookies) tough.setCookieSync(setCookie, page, { ignoreError: true });
    },
    set(setCookie, url = page) {
      tough.setCookieSync(setCookie, at(url));
    },
    copyFrom(other) {
      for (const cookie of kept(toughJars.get(other) as ToughJar)) {
        // Keep its expiry where it was (Max-Age would count again from now).
        if (cookie.maxAge !== null) [cookie.expires, cookie.maxAge] = [cookie.expiryDate() ?? 'Infinity', null];
        tough.setCookieSync(cookie, `${cookie.secure ? 'https' : 'http'}://${cookie.domain ?? 'localhost'}${cookie.path ?? '/'}`);
      }
    },
    sessionId() {
      const { sid, '__Host-sid': hostSid } = cookiesFor(page);
      return sid ?? hostSid;
    },
    all: () => kept(tough).map((cookie) => cookie.toString()),
  };
  toughJars.set(jar, tough);
  return jar;
}

const toughJars = new WeakMap<CookieJar, ToughJar>();

/** As the `cookie` package (so @fastify/cookie) decodes a value: a malformed escape stays as it is. */
function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Every unexpired cookie in a jar, hostOnly and all. */
function kept(tough: ToughJar): Cookie[] {
  const cookies = tough.serializeSync()?.cookies.map((json) => Cookie.fromJSON(json)) ?? [];
  return cookies.filter((cookie): cookie is Cookie => cookie !== undefined && (cookie.expiryTime() ?? Infinity) > Date.now());
}

/** The hidden `_csrf` value of the first form on a page, as a browser would submit it. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}
