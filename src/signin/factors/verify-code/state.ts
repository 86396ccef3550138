// The verify-code factor's part of a pending sign-in, kept under its own session key: the Verify
// request ID (never in a page, a cookie, a URL or a log line) and when its latest code was sent.
// The sign-in's own state (../../state.ts) knows nothing of it; a new session ID (signing in,
// ending) drops it with the rest of the pending session.
import type { FastifyRequest } from 'fastify';
import { LIMITS } from '../../../state/limits.ts';

export interface PendingCode {
  requestId: string;
  /** When the latest code was sent (ms since epoch). */
  sentAt: number;
  /** Deliveries of this Verify request before the latest (0: the first); picks its channel in VERIFY_WORKFLOW. */
  step?: number;
}

export type CodeNotice = 'resent';

declare module 'fastify' {
  interface Session {
    verifyCode?: PendingCode;
    /**
     * A signed-in session's confirmation (/account/confirm) under way: the Verify request sent
     * once the password was right again. Never in a page, a cookie, a URL or a log line.
     */
    confirmCode?: PendingCode;
    /**
     * A phone change under way (/account/phone): the new number (E.164) and the Verify request
     * sent to it. Never in a page (beyond the masked number), a cookie, a URL or a log line.
     */
    phoneChange?: PendingPhoneChange;
    /** A one-shot message for the code page. */
    codeNotice?: CodeNotice;
  }
}

/** The Verify request of this pending sign-in, when a code was sent for it. */
export const pendingCode = (request: FastifyRequest): PendingCode | undefined => request.session.verifyCode;

/** A code went out (a first one, or again, possibly under a new Verify request). */
export function codeSent(request: FastifyRequest, requestId: string, notice?: CodeNotice): void {
  const before = request.session.verifyCode;
  // The next delivery of the same request moves along the workflow; a new request starts it over.
  const step = before && before.requestId === requestId ? (before.step ?? 0) + 1 : 0;
  request.session.verifyCode = { requestId, sentAt: Date.now(), step };
  if (notice) request.session.codeNotice = notice;
}

export function takeCodeNotice(request: FastifyRequest): CodeNotice | undefined {
  const notice = request.session.codeNotice;
  if (notice) delete request.session.codeNotice;
  return notice;
}

/** The account's resend cooldown (budgets.ts) began as the latest code went out, just before `sentAt`. */
const RESEND_COOLDOWN_MS = LIMITS['send-cooldown'].seconds * 1000;

/** Whole seconds until "Send a new code" is accepted: the page shows it and code-page.js counts it down. */
export function resendWaitSeconds(code: PendingCode, now = Date.now()): number {
  return Math.max(0, Math.ceil((code.sentAt + RESEND_COOLDOWN_MS - now) / 1000));
}

/** A confirmation's code can be used this long after it was sent: as long as a pending sign-in's. */
const CONFIRM_CODE_TTL_MS = 10 * 60 * 1000;

export function confirmCodeSent(request: FastifyRequest, requestId: string): void {
  const before = request.session.confirmCode;
  // As codeSent: the next delivery of the same request moves along the workflow.
  const step = before && before.requestId === requestId ? (before.step ?? 0) + 1 : 0;
  request.session.confirmCode = { requestId, sentAt: Date.now(), step };
}

/** The confirmation's Verify request, while its code can still be used. */
export function pendingConfirmCode(request: FastifyRequest, now = Date.now()): PendingCode | undefined {
  const code = request.session.confirmCode;
  return code && now < code.sentAt + CONFIRM_CODE_TTL_MS ? code : undefined;
}

export function endConfirmCode(request: FastifyRequest): void {
  delete request.session.confirmCode;
}

/** A phone change's code: sent to `phone`, to replace `replaces` (the account's phone when it began). */
export interface PendingPhoneChange extends PendingCode {
  phone: string;
  replaces: string;
}

export function phoneChangeCodeSent(request: FastifyRequest, change: { phone: string; replaces: string }, requestId: string): void {
  const before = request.session.phoneChange;
  // As codeSent: the next delivery of the same request (to the same number) moves along the workflow.
  const same = before && before.requestId === requestId && before.phone === change.phone;
  const step = same ? (before.step ?? 0) + 1 : 0;
  request.session.phoneChange = { ...change, requestId, sentAt: Date.now(), step };
}

/** The phone change under way, while its code can still be used (as long as a confirmation's). */
export function pendingPhoneChange(request: FastifyRequest, now = Date.now()): PendingPhoneChange | undefined {
  const change = request.session.phoneChange;
  return change && now < change.sentAt + CONFIRM_CODE_TTL_MS ? change : undefined;
}

export function endPhoneChange(request: FastifyRequest): void {
  delete request.session.phoneChange;
}
