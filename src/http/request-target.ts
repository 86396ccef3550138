// Only origin-form request targets (`/path?query`) reach the app; `OPTIONS *` is left to routing.
//
// Why: Fastify's router strips `http://host` from an absolute-form target (`POST http://host/login`)
// and runs the route, but `request.url` keeps the full URL. @fastify/session only loads a session
// when the URL starts with its cookie path (`/`), so such a request got a plain `{}` session: the
// CSRF check (cookie-based) passed, the password step sent the SMS, then `session.regenerate` was
// missing and the request answered 500. Every plugin that reads the URL makes that assumption, so
// the odd forms are refused here, before body parsing, Verify calls or any other hook.
// (Node's parser already answers 400 to targets like `login`; absolute-form and `*` get through.)
import type { FastifyRequest, onRequestHookHandler } from 'fastify';

export class BadRequestTargetError extends Error {
  override name = 'BadRequestTargetError';
  readonly statusCode = 400;
  readonly code = 'BAD_REQUEST_TARGET';
}

export function isOriginForm(request: Pick<FastifyRequest, 'method' | 'url'>): boolean {
  const target = request.url;
  if (target.startsWith('/')) return true;
  return target === '*' && request.method === 'OPTIONS';
}

/** An onRequest hook: add it right after `Fastify()`, before any plugin, so it runs first. */
export const rejectOddRequestTargets: onRequestHookHandler = (request, _reply, done) => {
  if (isOriginForm(request)) return done();
  // The error handler renders the 400 page; the target itself may be long or odd, so log its length only.
  done(new BadRequestTargetError(`request target is not a path (${request.url.length} characters)`));
};

