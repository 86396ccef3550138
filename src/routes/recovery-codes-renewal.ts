// "Make new recovery codes": a sensitive action behind the recent sign-in check (ASVS 7.5.1,
// src/signin/recent-sign-in.ts). Signed in or confirmed within STEP_UP_MINUTES, the button
// replaces every old code with ten new ones at once, shown once (by the layout, on the page the
// browser is sent back to: src/http/pages.ts); otherwise it answers 303 /account/confirm, which
// asks the password and a code and comes back to this page (the button is pressed again: a POST
// is never replayed).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import { showCodesOnce } from '../session/recovery-session.ts';
import { setRetryAfter } from '../http/retry-after.ts';

/** The recovery-codes page (recovery-codes.ts shows it; this route is its form). */
export const RECOVERY_CODES_PATH = '/account/recovery-codes';

const BUSY_MS = 1000;

/** The page without new codes on it; recovery-codes.ts renders it; this route answers with it again (busy). */
export type ShowRecoveryPage = (
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message?: { error?: string; notice?: string },
) => Promise<FastifyReply>;

export default async function renewalRoutes(app: FastifyInstance, { show }: { show: ShowRecoveryPage }): Promise<void> {
  const { audit, recoveryCodes, verifyCode } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  typed.post(
    RECOVERY_CODES_PATH,
    { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf, preHandler: app.requireRecentSignIn(RECOVERY_CODES_PATH) },
    async (request, reply) => {
      const userId = accountOf(request).id;
      // One renewal at a time per account, held until this answer's session is saved: two presses
      // at once make one set, and the set the session shows is the one stored.
      if (!(await verifyCode.hold(request, `recovery-codes:${userId}`))) {
        setRetryAfter(reply, BUSY_MS);
        return show(request, reply, 429, { error: 'Your last request is still being handled. Try again in a second.' });
      }
      const codes = await recoveryCodes.replace(userId);
      await audit.record('recovery-codes-regenerated', request, { userId });
      showCodesOnce(request, reply, codes);
      return reply.redirect(RECOVERY_CODES_PATH, 303);
    },
  );
}
