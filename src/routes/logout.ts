import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from './route-deps.ts';

export default async function logoutRoutes(app: FastifyInstance, { audit }: RouteDeps): Promise<void> {
  const schema = { body: { type: 'object', properties: { _csrf: { type: 'string', maxLength: 512 } } } };
  app.post('/logout', { schema, preValidation: app.checkCsrf }, async (request, reply) => {
    const userId = request.session?.signedIn?.userId ?? request.session?.pending?.userId;
    await app.signIn.end(request, reply, userId === undefined ? undefined : 'signed-out');
    if (userId !== undefined) await audit.record('signed-out', request, { userId });
    return reply.redirect('/login', 303);
  });
}
