// "Your sessions": the signed-in account's browsers, when each signed in and was last seen, from
// where and with what; end one (which also forgets that browser if it is remembered), or every
// other one ("sign out everywhere else", which also forgets every remembered browser of the
// account). Sessions are named by their handle on the page, never by their ID; the store
// checks, in the same atomic step that ends one, that it is this account's, so no handle ends
// someone else's session.
import type { FastifyInstance } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { csrfOnlyBody, formBody } from './form-schemas.ts';
import { accountOf } from './signed-in-account.ts';
import type { AccountSessions } from '../signin/account-sessions.ts';
import { absoluteTime, timeAgo } from '../http/readable-time.ts';

const endBody = formBody({ session: { type: 'string', maxLength: 64 } }, ['session']);
const PAGE = '/account/sessions';

export interface AccountSessionsOptions {
  sessions: AccountSessions;
}

export default async function accountSessionsRoutes(app: FastifyInstance, options: AccountSessionsOptions): Promise<void> {
  const { sessions } = options;
  const { audit } = app;
  const { signIn, rememberBrowser } = app;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  app.get(PAGE, async (request, reply) => {
    const account = accountOf(request);
    const now = Date.now();
    const listed = await sessions.list(account.id, request.session.sessionId);
    return reply.page(200, 'sessions', 'Your sessions', {
      email: account.email,
      notice: signIn.cookies.takeNotice(request, reply),
      sessions: listed.map((session) => ({
        ...session,
        started: absoluteTime(session.signedInAt),
        startedIso: new Date(session.signedInAt).toISOString(),
        lastSeen: session.current ? 'now' : timeAgo(session.seenAt, now),
        seenIso: new Date(session.current ? now : session.seenAt).toISOString(),
      })),
    });
  });

  // Both ends are sensitive actions: a full sign-in or a confirmation within STEP_UP_MINUTES
  // (recent-sign-in.ts). Ending the others one by one must not get round asking for "all others".
  const recent = app.requireRecentSignIn(PAGE);
  typed.post(`${PAGE}/end`, { schema: { body: endBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    const account = accountOf(request);
    const { outcome, rememberedBrowser } = await sessions.endByHandle(account.id, request.body.session, request.session.sessionId);
    if (outcome === 'ended') {
      // That browser skips the code no more: its remember cookie (rotated since, or not) is dead.
      const forgotten = rememberedBrowser === undefined ? 0 : await rememberBrowser.forgetBrowser(account.id, rememberedBrowser);
      await audit.record('session-revoked', request, { userId: account.id, detail: `remembered=${forgotten}` });
    }
    signIn.cookies.setNotice(reply, outcome === 'ended' ? 'other-session-ended' : outcome === 'current' ? 'this-session' : 'other-session-gone');
    return reply.redirect(PAGE, 303);
  });

  typed.post(`${PAGE}/end-others`, { schema: { body: csrfOnlyBody }, preValidation: app.checkCsrf, preHandler: recent }, async (request, reply) => {
    const account = accountOf(request);
    // A new session epoch first: a sign-in that read the account before it (a remembered browser's
    // password step, a code check) makes a session that no longer matches the account, even if it
    // is written after the sessions below were ended.
    const sessionEpoch = await app.accounts.moveSessionEpoch(account.id);
    const ended =
      sessionEpoch === undefined
        ? undefined
        : await signIn.endOtherSessions(request, { ...account, sessionEpoch }).catch(async (error: unknown) => {
            // The session store failed (a 503 follows), but the epoch moved, which ends every other
            // session and remembered browser all the same: the sign-out is audited now.
            await audit.record('sessions-revoked-others', request, { userId: account.id, detail: 'sessions=by-epoch remembered=by-epoch' });
            throw error;
          });
    if (ended === undefined) {
      // Disabled, or this session ended meanwhile (a logout racing this): nobody is signed in here.
      await signIn.end(request, reply);
      return reply.redirect('/login', 303);
    }
    const forgotten = await rememberBrowser.forgetAll(reply, account.id);
    await audit.record('sessions-revoked-others', request, { userId: account.id, detail: `sessions=${ended} remembered=${forgotten}` });
    signIn.cookies.setNotice(reply, 'others-ended');
    return reply.redirect(PAGE, 303);
  });
}
