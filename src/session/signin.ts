// The sign-in state machine, kept in the server-side session:
//   anonymous  -> (password right)  -> code pending -> (code right) -> signed in
// The session ID is rotated on each step. The Verify request ID lives only here, in
// `session.pending`, and never leaves the server.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { rememberReturnTo, sameOriginPath } from './login-cookies.ts';

export interface PendingSignIn {
  userId: number;
  requestId: string;
  /** ms since epoch */
  startedAt: number;
  /** When "send a new code" is allowed again (ms since epoch). */
  resendAt: number;
}

declare module 'fastify' {
  interface Session {
    pending?: PendingSignIn;
    userId?: number;
    signedInAt?: number;
    returnTo?: string;
  }
  interface FastifyInstance {
    /** onRequest hook: lets only sessions whose code check succeeded through. */
    requireSignedIn: onRequestAsyncHookHandler;
  }
}

export type SignInState = 'anonymous' | 'pending' | 'signed-in';

/** A code request outlives Vonage's own expiry a little, then the pending state is dropped. */
export const PENDING_TTL_MS = 10 * 60 * 1000;
export const RESEND_COOLDOWN_MS = 30 * 1000;

export function signInState(request: FastifyRequest): SignInState {
  const session = request.session;
  if (!session) return 'anonymous';
  if (typeof session.userId === 'number') return 'signed-in';
  const pending = session.pending;
  if (pending && Date.now() - pending.startedAt < PENDING_TTL_MS) return 'pending';
  return 'anonymous';
}

/** After the password step: new session ID, carrying only where the user was going. */
export async function beginPendingSignIn(
  request: FastifyRequest,
  userId: number,
  requestId: string,
  returnTo: string | undefined,
): Promise<void> {
  await request.session.regenerate([]);
  const now = Date.now();
  request.session.pending = { userId, requestId, startedAt: now, resendAt: now + RESEND_COOLDOWN_MS };
  if (returnTo) request.session.returnTo = returnTo;
}

/** After the code step: new session ID again; returns where to send the user. */
export async function completeSignIn(request: FastifyRequest): Promise<string> {
  const { pending, returnTo } = request.session;
  if (!pending) throw new Error('completeSignIn without a pending sign-in');
  await request.session.regenerate([]);
  request.session.userId = pending.userId;
  request.session.signedInAt = Date.now();
  return returnTo ?? '/';
}

/** Whether this request's session is still in the store (a parallel request may have rotated it). */
export function sessionStillStored(request: FastifyRequest): Promise<boolean> {
  return new Promise((resolve) => {
    request.sessionStore.get(request.session.sessionId, (error, session) => resolve(!error && Boolean(session)));
  });
}

/** Destroys the session server-side and tells the browser to forget the cookie. */
export async function endSession(request: FastifyRequest, reply: FastifyReply, cookieName: string): Promise<void> {
  if (request.session?.sessionId) await request.session.destroy();
  reply.clearCookie(cookieName, { path: '/' });
}

async function signInPlugin(app: FastifyInstance, { sessionCookie }: { sessionCookie: string }): Promise<void> {
  // A cookie signed with an older SESSION_SECRET still verifies, but @fastify/session signs the ID
  // afresh, sees the two differ on an unchanged session, and clears the cookie: the user would be
  // signed out on their next request. Saving the session re-issues the cookie under the new secret.
  app.addHook('onRequest', (request, _reply, done) => {
    const cookie = request.cookies[sessionCookie];
    const session = request.session;
    if (cookie && session?.encryptedSessionId && cookie !== session.encryptedSessionId && signInState(request) !== 'anonymous') {
      session.save(done);
      return;
    }
    done();
  });

  app.decorate('requireSignedIn', async function requireSignedIn(request: FastifyRequest, reply: FastifyReply) {
    const state = signInState(request);
    if (state === 'signed-in') return;
    const goingTo = request.method === 'GET' ? sameOriginPath(request.url) : undefined;
    if (state === 'pending') {
      if (goingTo) request.session.returnTo = goingTo;
      return reply.redirect('/login/code', 303);
    }
    if (goingTo) rememberReturnTo(reply, goingTo);
    return reply.redirect('/login', 303);
  });
}

export default fp(signInPlugin, { name: 'signin', dependencies: ['@fastify/session', '@fastify/cookie'] });
