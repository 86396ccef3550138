// Two small signed cookies scoped to /login, so that an anonymous visitor costs no session row:
// where the user was going (`next`), and why they were sent back to /login (`notice`).
import type { FastifyReply, FastifyRequest } from 'fastify';

const RETURN_TO_COOKIE = 'next';
const NOTICE_COOKIE = 'notice';
const LOGIN_PATH = '/login';
const TEN_MINUTES_S = 600;

export const NOTICES = {
  'signed-out': 'You have been signed out.',
  cancelled: 'Sign-in cancelled.',
  expired: 'Your code expired. Sign in again to get a new one.',
  'too-many-attempts': 'Too many wrong codes. Sign in again to get a new one.',
  'session-ended': 'Your sign-in timed out. Please start again.',
} as const;
export type NoticeKey = keyof typeof NOTICES;

/** A path on this site (no scheme, no host, no `//`), or undefined. */
export function sameOriginPath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > 2048) return undefined;
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\')) return undefined;
  if (/[\u0000-\u001f\u007f\\]/.test(candidate)) return undefined;
  if (candidate === LOGIN_PATH || candidate.startsWith(LOGIN_PATH + '/') || candidate.startsWith(LOGIN_PATH + '?')) {
    return undefined;
  }
  return candidate;
}

export function rememberReturnTo(reply: FastifyReply, path: string): void {
  reply.setCookie(RETURN_TO_COOKIE, path, { signed: true, path: LOGIN_PATH, maxAge: TEN_MINUTES_S });
}

/** Reads and clears the remembered destination. */
export function takeReturnTo(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const value = readSigned(request, RETURN_TO_COOKIE);
  if (value !== undefined) reply.clearCookie(RETURN_TO_COOKIE, { path: LOGIN_PATH });
  return sameOriginPath(value);
}

export function setNotice(reply: FastifyReply, notice: NoticeKey): void {
  reply.setCookie(NOTICE_COOKIE, notice, { signed: true, path: LOGIN_PATH, maxAge: 60 });
}

/** Reads and clears the notice: the message is shown once. */
export function takeNotice(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const value = readSigned(request, NOTICE_COOKIE);
  if (value === undefined) return undefined;
  reply.clearCookie(NOTICE_COOKIE, { path: LOGIN_PATH });
  return Object.hasOwn(NOTICES, value) ? NOTICES[value as NoticeKey] : undefined;
}

function readSigned(request: FastifyRequest, name: string): string | undefined {
  const raw = request.cookies[name];
  if (!raw) return undefined;
  const result = request.unsignCookie(raw);
  return result.valid && result.value !== null ? result.value : undefined;
}
