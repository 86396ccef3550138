// The stylesheet and the pages' scripts: served without the session. Loading a session needs
// the store (SQLite, PostgreSQL or Redis), and a file that answered 503 while that store is down
// would leave the 503 page itself unstyled. The session cookie is set aside for these routes
// before @fastify/session reads it, so the session stays empty and nothing is read or written.
//
// With passkeys on, @simplewebauthn/browser's ESM build is served too, from the app itself (no
// CDN; the CSP stays `script-src 'self'`), at /static/webauthn/: its files import each other by
// relative paths (`./methods/startRegistration.js`), which resolve under that prefix as they do
// in the package. Only its `.js` files are served. With passkeys off, neither it nor
// public/passkeys.js is served.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import staticFiles from '@fastify/static';

export const STATIC_PREFIX = '/static/';
export const WEBAUTHN_PREFIX = `${STATIC_PREFIX}webauthn/`;
const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));
const PASSKEY_SCRIPT = '/passkeys.js';

/** Register after @fastify/cookie (which parses the cookie) and before @fastify/session (which reads it). */
export async function serveStaticFilesWithoutSessions(app: FastifyInstance, sessionCookie: string, { passkeys }: { passkeys: boolean }): Promise<void> {
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.url?.startsWith(STATIC_PREFIX)) delete request.cookies[sessionCookie];
    done();
  });
  await app.register(staticFiles, {
    root: PUBLIC_DIR,
    prefix: STATIC_PREFIX,
    allowedPath: (path) => passkeys || path !== PASSKEY_SCRIPT,
  });
  if (!passkeys) return;
  await app.register(staticFiles, {
    root: dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser'))),
    prefix: WEBAUTHN_PREFIX,
    decorateReply: false,
    allowedPath: (path) => path.endsWith('.js'),
  });
}
