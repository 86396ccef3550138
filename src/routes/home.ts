// Protected pages: everything registered in this plugin passes the sign-in gate first.
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { endSession } from '../session/signin.ts';
import { setNotice } from '../session/login-cookies.ts';

export default async function homeRoutes(app: FastifyInstance, { accounts, sessionCookie }: RouteDeps): Promise<void> {
  app.addHook('onRequest', app.requireSignedIn);

  app.get('/', async (request, reply) => {
    const account = await accounts.findById(request.session.userId as number);
    if (!account) {
      // Deleted or disabled since sign-in: the session no longer stands for anyone.
      await endSession(request, reply, sessionCookie);
      setNotice(reply, 'session-ended');
      return reply.redirect('/login', 303);
    }
    return reply.page(200, 'home', 'Home', { email: account.email });
  });
}
