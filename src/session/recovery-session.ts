// What recovery codes keep in the server-side session of a signed-in account (never in a cookie,
// a URL or a log line), and the one-shot reads of it. Everything here is written after the
// sign-in's session-ID change (signIn.complete), so it lives in the new session.
import type { FastifyRequest } from 'fastify';
import { PENDING_TTL_MS } from './signin-state.ts';

/** New codes waiting for their one showing: on the next full page (200) this session gets. */
export interface CodesToShow {
  codes: string[];
}

/** "Make new recovery codes": a Verify request started after the password was checked. */
export interface CodesRenewal {
  requestId: string;
  sentAt: number;
}

declare module 'fastify' {
  interface Session {
    recoveryCodesToShow?: CodesToShow;
    /** Set by a sign-in with a recovery code: how many were left, for the next page to say. */
    recoveryCodesLeft?: number;
    recoveryRenewal?: CodesRenewal;
  }
}

/** Kept, plain, in the server-side session until a page shows them (src/http/pages.ts). */
export function showCodesOnce(request: FastifyRequest, codes: string[]): void {
  request.session.recoveryCodesToShow = { codes };
}

/**
 * The new codes, once: they are gone from the session as this request's session is saved.
 * Only reading the field touches nothing (a page without codes costs no session write).
 */
export function takeCodesToShow(request: FastifyRequest): string[] | undefined {
  const toShow = request.session?.recoveryCodesToShow;
  if (!toShow) return undefined;
  delete request.session.recoveryCodesToShow;
  return [...toShow.codes];
}

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

export function startRenewal(request: FastifyRequest, requestId: string): void {
  request.session.recoveryRenewal = { requestId, sentAt: Date.now() };
}

/** The renewal in progress, while its code can still be used (as long as a pending sign-in's). */
export function currentRenewal(request: FastifyRequest, now = Date.now()): CodesRenewal | undefined {
  const renewal = request.session.recoveryRenewal;
  return renewal && now < renewal.sentAt + PENDING_TTL_MS ? renewal : undefined;
}

export function endRenewal(request: FastifyRequest): void {
  delete request.session.recoveryRenewal;
}
