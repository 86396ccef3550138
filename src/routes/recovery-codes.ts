// The recovery-codes page: new codes shown once (right after the first full sign-in, or after
// making new ones), otherwise how many are left and "Make new recovery codes" (password, then a
// code from the phone: recovery-codes-renewal.ts).
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from './route-deps.ts';
import type { Account } from '../accounts/account-store.ts';
import { groupRecoveryCode } from '../accounts/recovery-codes.ts';
import { maskPhone } from '../accounts/mask-phone.ts';
import { currentRenewal, hasCodesToShow, takeCodesToShow, takeRecoveryNotice } from '../session/recovery-session.ts';
import { RECOVERY_CODES_PATH } from './recovery-sign-in.ts';
import renewalRoutes from './recovery-codes-renewal.ts';
import type { ShowRecoveryPage } from './recovery-codes-renewal.ts';

export default async function recoveryCodesRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const { recoveryCodes } = deps;

  app.addHook('onRequest', (request, reply, done) => {
    // The one showing of new codes comes first, before any other rule of the gate (a password
    // that must be changed applies on the next page): the session holding them is the one that
    // has just completed a full sign-in, and nobody else's.
    if (request.method === 'GET' && hasCodesToShow(request) && app.signIn.state(request) === 'signed-in') return done();
    app.requireSignedIn(request, reply, done);
  });

  const show: ShowRecoveryPage = async (request, reply, status, { error, notice } = {}) => {
    const account = request.account as Account;
    const renewing = currentRenewal(request) !== undefined;
    return reply.page(status, 'recovery-codes', 'Recovery codes', {
      unused: await recoveryCodes.unusedCount(account.id),
      renewing,
      maskedPhone: renewing ? maskPhone(account.phone) : undefined,
      error,
      notice: notice ?? takeRecoveryNotice(request),
    });
  };

  app.get(RECOVERY_CODES_PATH, async (request, reply) => {
    const toShow = takeCodesToShow(request);
    if (!toShow) return show(request, reply, 200);
    return reply.page(200, 'recovery-codes', 'Your recovery codes', {
      codes: toShow.codes.map(groupRecoveryCode),
      next: toShow.next,
      notice: takeRecoveryNotice(request),
    });
  });

  await app.register(renewalRoutes, { ...deps, show });
}
