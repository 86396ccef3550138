// The home page, in the account area (account-area.ts: behind the sign-in gate), with the one-time
// offer to add a passkey after a sign-in by SMS code.
import type { FastifyInstance } from 'fastify';
import { accountOf } from './signed-in-account.ts';
import { takeRecoveryNotice } from '../session/recovery-session.ts';
import { maskPhone } from '../accounts/mask-phone.ts';

export default async function homeRoutes(app: FastifyInstance): Promise<void> {
  // Decided once: with PASSKEYS=off the page says nothing of passkeys.
  const passkeys = app.hasDecorator('passkeys');
  app.get('/', async (request, reply) => {
    const account = accountOf(request);
    return reply.page(200, 'home', 'Home', {
      email: account.email,
      maskedPhone: maskPhone(account.phone),
      notice: takeRecoveryNotice(request) ?? app.signIn.cookies.takeNotice(request, reply),
      passkeys,
      // Set once per sign-in by SMS code (src/signin/factors/passkey.ts): a session read, no store read.
      passkeyOffer: passkeys && request.session.passkeyOffer === true,
    });
  });
}
