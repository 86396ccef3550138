// The signed-in account area: every page in it passes the sign-in gate first (one hook, here),
// which puts the account, read afresh, on `request.account`. A new protected page is a route
// plugin registered below. The passkeys page exists only with PASSKEYS=on.
import type { FastifyInstance } from 'fastify';
import type { AccountSessions } from '../signin/account-sessions.ts';
import homeRoutes from './home.ts';
import recoveryCodesRoutes from './recovery-codes.ts';
import accountPasswordRoutes from './account-password.ts';
import accountSessionsRoutes from './account-sessions.ts';
import accountConfirmRoutes from './account-confirm.ts';
import accountPhoneRoutes from './account-phone.ts';
import accountPasskeysRoutes from './account-passkeys.ts';

export default async function accountArea(app: FastifyInstance, options: { sessions: AccountSessions }): Promise<void> {
  app.addHook('onRequest', app.requireSignedIn);
  await app.register(homeRoutes);
  await app.register(recoveryCodesRoutes);
  await app.register(accountPasswordRoutes);
  await app.register(accountSessionsRoutes, options);
  await app.register(accountConfirmRoutes);
  await app.register(accountPhoneRoutes);
  // PASSKEYS=off: no passkey service, so no page of them either (404).
  if (app.hasDecorator('passkeys')) await app.register(accountPasskeysRoutes);
}
