// CSRF tokens for every form. A signed-in browser keeps its CSRF secret in its server-side
// session: a new one at sign-in, none after sign-out, and no second signed cookie to check on
// every signed-in request. Before sign-in (and during the code step, so that the login page's
// token still works there) it is in a signed cookie (@fastify/csrf-protection), so an anonymous
// page costs no session row. Tokens are @fastify/csrf's either way: a fresh salt per page, hashed with
// the secret.
import fp from 'fastify-plugin';
import csrfProtection from '@fastify/csrf-protection';
import CsrfTokens from '@fastify/csrf';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

declare module 'fastify' {
  interface Session {
    /** This session's CSRF secret; never leaves the server. */
    csrfSecret?: string;
  }
  interface FastifyReply {
    /** A token for the page's hidden `_csrf` field. */
    csrfToken(): string;
  }
  interface FastifyInstance {
    /** preValidation: a missing or wrong `_csrf` answers 403. */
    checkCsrf(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void;
    /** A secret for a new session (the sign-in plugin calls this after each new session ID). */
    newCsrfSecret(): string;
  }
}

export interface CsrfOptions {
  /** The signed cookie of visitors without a sign-in. */
  cookieName: string;
  secure: boolean;
}

class InvalidCsrfToken extends Error {
  readonly code = 'FST_CSRF_INVALID_TOKEN';
  readonly statusCode = 403;
  constructor() {
    super('Invalid csrf token');
  }
}

async function csrfPlugin(app: FastifyInstance, options: CsrfOptions): Promise<void> {
  await app.register(csrfProtection, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: options.cookieName,
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', path: '/', secure: options.secure },
  });
  // Callable without `new` (and typed so); the same defaults as @fastify/csrf-protection's.
  const tokens = CsrfTokens();
  const secretOf = (request: FastifyRequest) => request.session?.csrfSecret;

  app.decorate('newCsrfSecret', () => tokens.secretSync());
  app.decorateReply('csrfToken', function csrfToken(this: FastifyReply) {
    const secret = secretOf(this.request);
    return secret ? tokens.create(secret) : this.generateCsrf();
  });
  app.decorate('checkCsrf', function checkCsrf(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const secret = secretOf(request);
    if (!secret) return app.csrfProtection(request, reply, done);
    const token = (request.body as { _csrf?: unknown } | undefined)?._csrf;
    if (typeof token === 'string' && tokens.verify(secret, token)) return done();
    request.log.warn('Invalid csrf token');
    reply.send(new InvalidCsrfToken());
  });
}

export default fp(csrfPlugin, { name: 'csrf', dependencies: ['@fastify/cookie', '@fastify/session'] });
