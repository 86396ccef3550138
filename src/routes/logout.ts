import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { endSession } from '../session/signin.ts';
import { setNotice } from '../session/login-cookies.ts';

export default async function logoutRoutes(app: FastifyInstance, { audit, sessionCookie }: RouteDeps): Promise<void> {
  const schema = { body: { type: 'object', properties: { _csrf: { type: 'string', maxLength: 512 } } } };
  app.post('/logout', { schema, preValidation: app.csrfProtection }, async (request, reply) => {
    const userId = request.session?.userId;
    await endSession(request, reply, sessionCookie);
    if (userId !== undefined) {
      audit.record('signed-out', { userId, ip: request.ip });
      setNotice(reply, 'signed-out');
    }
    return reply.redirect('/login', 303);
  });
}
