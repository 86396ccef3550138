import type { FastifyInstance } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody } from './form-schemas.ts';

export default async function logoutRoutes(app: FastifyInstance): Promise<void> {
  const { audit } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  typed.post('/logout', { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf }, async (request, reply) => {
    const userId = request.session?.signedIn?.userId ?? request.session?.pending?.userId;
    await app.signIn.end(request, reply, userId === undefined ? undefined : 'signed-out');
    if (userId !== undefined) await audit.record('signed-out', request, { userId });
    return reply.redirect('/login', 303);
  });
}
