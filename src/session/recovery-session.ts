// What recovery codes keep in the server-side session of a signed-in account (new codes only
// sealed, their key in the browser's cookie alone; never in a URL or a log line), and the one-shot
// reads of it. Everything here is written after the
// sign-in's session-ID change (signIn.complete), so it lives in the new session.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { openCodes, sealCodes } from './sealed-codes.ts';

/**
 * New codes waiting for their one showing: on the next full page (200) this session gets. Sealed
 * (sealed-codes.ts): their key is only in the browser's codes-key cookie.
 */
export interface CodesToShow {
  sealed: string;
}

declare module 'fastify' {
  interface Session {
    recoveryCodesToShow?: CodesToShow;
    /** Set by a sign-in with a recovery code: how many were left, for the next page to say. */
    recoveryCodesLeft?: number;
  }
}

/**
 * Sealed into the server-side session, their key set in a cookie on this reply (the code step's or
 * the renewal's 303): the store never holds them in plain, and the next full page, whichever
 * instance serves it, opens them with the browser's key (src/http/pages.ts).
 */
export function showCodesOnce(request: FastifyRequest, reply: FastifyReply, codes: string[]): void {
  const { sealed, key } = sealCodes(codes, signedInUser(request));
  request.session.recoveryCodesToShow = { sealed };
  request.server.signIn.cookies.setCodesKey(reply, key);
}

/**
 * The new codes, once: they are gone from the session as this request's session is saved, and
 * their key cookie is cleared. Only reading the field touches nothing (a page without codes costs
 * no session write). Without the key (the cookie expired, or another browser holds the session's
 * cookie) they cannot be shown: the account makes new ones on the recovery-codes page.
 */
export function takeCodesToShow(request: FastifyRequest, reply: FastifyReply): string[] | undefined {
  const toShow = request.session?.recoveryCodesToShow;
  if (!toShow) return undefined;
  delete request.session.recoveryCodesToShow;
  const key = request.server.signIn.cookies.takeCodesKey(request, reply);
  const codes = key === undefined || typeof toShow.sealed !== 'string' ? undefined : openCodes(toShow.sealed, key, signedInUser(request));
  if (!codes) request.log.warn('new recovery codes could not be shown: this browser has not their key (expired or elsewhere)');
  return codes;
}

const signedInUser = (request: FastifyRequest) => request.session.signedIn?.userId ?? 0;

export function noteRecoverySignIn(request: FastifyRequest, left: number): void {
  request.session.recoveryCodesLeft = left;
}

/** "You signed in with a recovery code. N codes left.", once. */
export function takeRecoveryNotice(request: FastifyRequest): string | undefined {
  const left = request.session?.recoveryCodesLeft;
  if (left === undefined) return undefined;
  delete request.session.recoveryCodesLeft;
  return `You signed in with a recovery code. ${left} ${left === 1 ? 'code' : 'codes'} left.`;
}
