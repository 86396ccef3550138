// Production over plain HTTP fails loudly: the session cookie is Secure, so a sign-in form
// served over http would set a cookie the browser drops (the user lands back on an empty
// sign-in page after the code went out). A request that did not arrive over HTTPS (as the
// trusted proxy's X-Forwarded-Proto says, see TRUST_PROXY) is sent to the same path on
// PUBLIC_ORIGIN (GET, HEAD) or refused with a 400 page saying HTTPS is required. The health
// check stays reachable for probes that talk to the instance directly.
import type { onRequestHookHandler } from 'fastify';

const HEALTH_CHECK = '/healthz';

export class HttpsRequiredError extends Error {
  override name = 'HttpsRequiredError';
  readonly statusCode = 400;
  readonly code = 'HTTPS_REQUIRED';
  readonly publicOrigin: string;
  constructor(publicOrigin: string) {
    super('request over plain HTTP in production');
    this.publicOrigin = publicOrigin;
  }
}

/** An onRequest hook for production: add it before cookies and sessions (no session is read for a refused request). */
export function requireHttps(publicOrigin: string): onRequestHookHandler {
  let warned = false;
  return (request, reply, done) => {
    if (request.protocol === 'https') return done();
    const path = request.url.split('?', 1)[0];
    if (path === HEALTH_CHECK) return done();
    if (!warned) {
      warned = true;
      request.log.warn('production request over plain HTTP: sent to PUBLIC_ORIGIN or refused; serve over TLS and set TRUST_PROXY to the proxy that terminates it');
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      // request.url is a path here (rejectOddRequestTargets runs first): the same path, on the origin users type.
      reply.redirect(publicOrigin + request.url, 301);
      return;
    }
    done(new HttpsRequiredError(publicOrigin));
  };
}
