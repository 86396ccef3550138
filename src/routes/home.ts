// The home page, in the account area (account-area.ts: behind the sign-in gate).
import type { FastifyInstance } from 'fastify';
import { accountOf } from './signed-in-account.ts';
import { takeRecoveryNotice } from '../session/recovery-session.ts';
import { maskPhone } from '../accounts/mask-phone.ts';

export default async function homeRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const account = accountOf(request);
    return reply.page(200, 'home', 'Home', { email: account.email, maskedPhone: maskPhone(account.phone), notice: takeRecoveryNotice(request) ?? app.signIn.cookies.takeNotice(request, reply) });
  });
}
