// Carries cookies from one app.inject response to the next request, like a browser would
// (path scoping is ignored: every cookie here is for this one site).
import type { LightMyRequestResponse as Response } from 'fastify';

export interface CookieJar {
  cookies: Record<string, string>;
  store(response: Response): void;
}

export function createCookieJar(): CookieJar {
  const cookies: Record<string, string> = {};
  return {
    cookies,
    store(response) {
      for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
        const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
        if (expired || cookie.value === '') delete cookies[cookie.name];
        else cookies[cookie.name] = cookie.value;
      }
    },
  };
}

/** The hidden `_csrf` value of the first form on a page, as a browser would submit it. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}
