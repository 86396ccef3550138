// The recovery-codes page: how many are left and "Make new recovery codes" (behind the recent
// sign-in check: recovery-codes-renewal.ts). New codes, after the first full sign-in or after
// making new ones, are not this page's: the first full page the session gets shows them once
// (src/http/pages.ts and templates/layout.eta), this one included.
import type { FastifyInstance } from 'fastify';
import { accountOf } from './signed-in-account.ts';
import { takeRecoveryNotice } from '../session/recovery-session.ts';
import renewalRoutes, { RECOVERY_CODES_PATH } from './recovery-codes-renewal.ts';
import type { ShowRecoveryPage } from './recovery-codes-renewal.ts';
import { channelOf, sentBy } from '../verify/delivery-wording.ts';

export default async function recoveryCodesRoutes(app: FastifyInstance): Promise<void> {
  const { recoveryCodes } = app;
  // The confirmation's first code goes the way VERIFY_WORKFLOW's first channel does (by email, too).
  const codeSentBy = sentBy(channelOf(app.verify.client.channels));

  const show: ShowRecoveryPage = async (request, reply, status, { error, notice } = {}) => {
    const account = accountOf(request);
    return reply.page(status, 'recovery-codes', 'Recovery codes', {
      unused: await recoveryCodes.unusedCount(account.id),
      codeSentBy,
      error,
      notice: notice ?? takeRecoveryNotice(request),
    });
  };

  app.get(RECOVERY_CODES_PATH, async (request, reply) => show(request, reply, 200));

  await app.register(renewalRoutes, { show });
}
