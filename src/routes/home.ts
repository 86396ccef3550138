// Protected pages: everything registered in this plugin passes the sign-in gate first, which
// also puts the (re-read) account on `request.account`.
import type { FastifyInstance } from 'fastify';
import type { Account } from '../accounts/account-store.ts';
import { takeRecoveryNotice } from '../session/recovery-session.ts';

export default async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', app.requireSignedIn);

  app.get('/', async (request, reply) => {
    const account = request.account as Account;
    return reply.page(200, 'home', 'Home', { email: account.email, notice: takeRecoveryNotice(request) ?? app.signIn.cookies.takeNotice(request, reply) });
  });
}
