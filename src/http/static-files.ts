// The stylesheet and the code page's script: served without the session. Loading a session needs
// the store (SQLite, PostgreSQL or Redis), and a file that answered 503 while that store is down
// would leave the 503 page itself unstyled. The session cookie is set aside for these routes
// before @fastify/session reads it, so the session stays empty and nothing is read or written.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import staticFiles from '@fastify/static';

export const STATIC_PREFIX = '/static/';
const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

/** Register after @fastify/cookie (which parses the cookie) and before @fastify/session (which reads it). */
export async function serveStaticFilesWithoutSessions(app: FastifyInstance, sessionCookie: string): Promise<void> {
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.url?.startsWith(STATIC_PREFIX)) delete request.cookies[sessionCookie];
    done();
  });
  await app.register(staticFiles, { root: PUBLIC_DIR, prefix: STATIC_PREFIX });
}
