// The recent sign-in check (ASVS 7.5.1): a sensitive action (ending other sessions, making new
// recovery codes, changing the phone; passkeys later) needs a full sign-in or a confirmation at
// /account/confirm within STEP_UP_MINUTES. Otherwise the action answers 303 /account/confirm and
// the page it was on is remembered in the session, so the user comes back to it. A POST is never
// replayed: the user lands on the form's page (a GET) and presses the button again.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { sameOriginPath } from '../session/login-cookies.ts';
import type { SignedIn } from './state.ts';

export const CONFIRM_PATH = '/account/confirm';

declare module 'fastify' {
  interface Session {
    /** Where /account/confirm sends the user back to (a same-origin path). */
    confirmReturnTo?: string;
  }
}

/** Since when this sign-in counts as recent: its full sign-in, or its latest confirmation. */
export const recentSince = (signedIn: SignedIn): number => Math.max(signedIn.signedInAt, signedIn.confirmedAt ?? 0);

export function isRecent(signedIn: SignedIn | undefined, stepUpMs: number, now = Date.now()): boolean {
  return signedIn !== undefined && now < recentSince(signedIn) + stepUpMs;
}

/**
 * A preHandler for a sensitive route behind the gate (after its CSRF check). `page`: where a POST's
 * form is (the user comes back there); a GET comes back to itself.
 */
export type RequireRecentSignIn = (page?: string) => preHandlerAsyncHookHandler;

export function createRequireRecentSignIn(stepUpMs: number): RequireRecentSignIn {
  return (page) =>
    async function requireRecentSignIn(request: FastifyRequest, reply: FastifyReply) {
      if (isRecent(request.session.signedIn, stepUpMs)) return;
      const back = request.method === 'GET' ? sameOriginPath(request.url) : page;
      if (back) request.session.confirmReturnTo = back;
      else delete request.session.confirmReturnTo;
      return reply.redirect(CONFIRM_PATH, 303);
    };
}

/** Where to go once confirmed: the remembered page, once. */
export function takeConfirmReturnTo(request: FastifyRequest): string {
  const back = request.session.confirmReturnTo;
  delete request.session.confirmReturnTo;
  return back ?? '/';
}
