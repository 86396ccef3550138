// The remembered-browser factor: right after the password, a browser that was remembered for this
// account (src/session/remember-browser.ts) finishes the sign-in at once, with no code; any
// other passes to the next factor. And the "Remember this browser" box, after a code step.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../accounts/account-store.ts';

/** The box was ticked at a code step that just signed in: remembered under the epoch the sign-in read. */
export async function rememberThisBrowser(request: FastifyRequest, reply: FastifyReply, account: Account): Promise<void> {
  const { rememberBrowser, signIn } = request.server;
  if (rememberBrowser.days === 0) return;
  // Signed out everywhere meanwhile: nothing is remembered.
  const browserId = await rememberBrowser.remember(reply, account);
  if (browserId === undefined) return;
  signIn.rememberedAs(request, browserId);
  await request.server.audit.record('browser-remembered', request, { userId: account.id });
}

async function rememberedBrowserFactor(app: FastifyInstance): Promise<void> {
  app.signIn.addFactor({
    kind: 'remembered-browser',
    async afterPassword(request, reply, account) {
      // Skips the code, never the password: no Verify call.
      const rememberedBrowser = await app.rememberBrowser.redeem(request, reply, account.id);
      if (rememberedBrowser === undefined) return undefined;
      const answered = await app.signIn.finish(request, reply, {
        factor: 'remembered-browser',
        account,
        rememberedBrowser,
        audit: { event: 'code-skipped-remembered-browser' },
      });
      return { answered };
    },
  });
}

export default fp(rememberedBrowserFactor, { name: 'remembered-browser', fastify: '5.x', dependencies: ['signin', 'remember-browser', 'audit'] });
