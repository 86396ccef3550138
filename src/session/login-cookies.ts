// The cookies besides the session's, so that an anonymous visitor costs no session row: where
// the user was going (`next`), why they were sent back to /login (`notice`), and the device
// cookie of a browser that has signed in to an account before (OWASP's "device cookies": it
// keeps its own password budget when the account's is spent). All are signed, HttpOnly and
// Path=/, and in production their names carry the `__Host-` prefix (Secure, no Domain).
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeEmail } from '../accounts/email.ts';

export const NOTICES = {
  'signed-out': 'You have been signed out.',
  cancelled: 'Sign-in cancelled.',
  expired: 'Your code expired. Sign in again to get a new one.',
  'too-many-attempts': 'Too many wrong codes. Sign in again to get a new one.',
  'session-ended': 'Your sign-in timed out. Please start again.',
  'account-unavailable': 'Your session has ended. Please sign in again.',
  // "Your sessions" (src/routes/account-sessions.ts)
  'other-session-ended': 'That browser has been signed out.',
  'other-session-gone': 'That session had already ended.',
  'this-session': 'That is the browser you are using: sign out to end its session.',
  'others-ended': 'Every other browser has been signed out, and no browser is remembered any more.',
  'password-changed': 'Your password has been changed.',
  'phone-changed': 'Your phone number has been changed. Every other browser has been signed out, and no browser is remembered any more.',
} as const;
export type NoticeKey = keyof typeof NOTICES;

export interface CookieNames {
  session: string;
  csrf: string;
  next: string;
  notice: string;
  device: string;
  /** "Remember this browser" (src/session/remember-browser.ts): a token, not signed (see there). */
  remember: string;
  /** The key of new recovery codes sealed in the session (src/session/recovery-session.ts). */
  codesKey: string;
}

export function cookieNames(production: boolean): CookieNames {
  const prefix = production ? '__Host-' : '';
  return {
    session: `${prefix}sid`,
    csrf: production ? '__Host-csrf' : '_csrf',
    next: `${prefix}next`,
    notice: `${prefix}notice`,
    device: `${prefix}device`,
    remember: `${prefix}remember`,
    codesKey: `${prefix}codes-key`,
  };
}

const LOGIN_PATH = '/login';
const TEN_MINUTES_S = 600;

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

export interface LoginCookies {
  rememberReturnTo(reply: FastifyReply, path: string): void;
  /** Reads and clears the remembered destination. */
  takeReturnTo(request: FastifyRequest, reply: FastifyReply): string | undefined;
  setNotice(reply: FastifyReply, notice: NoticeKey): void;
  /** Reads and clears the notice: the message is shown once. */
  takeNotice(request: FastifyRequest, reply: FastifyReply): string | undefined;
  /** Issues a fresh device cookie for this account (after a full sign-in). */
  issueDevice(reply: FastifyReply, email: string): void;
  /** This browser's device key for the account being signed in to, when it holds one. */
  deviceKey(request: FastifyRequest, email: string): string | undefined;
  /** The key to new recovery codes sealed in the session: the browser alone keeps it, ten minutes at most. */
  setCodesKey(reply: FastifyReply, key: string): void;
  /** Reads and clears it. */
  takeCodesKey(request: FastifyRequest, reply: FastifyReply): string | undefined;
}

export function createLoginCookies(names: CookieNames, deviceDays: number): LoginCookies {
  const clear = (reply: FastifyReply, name: string) => reply.clearCookie(name, { path: '/' });
  const readSigned = (request: FastifyRequest, name: string): string | undefined => {
    const raw = request.cookies[name];
    if (!raw) return undefined;
    const result = request.unsignCookie(raw);
    return result.valid && result.value !== null ? result.value : undefined;
  };
  // The cookie names the account by a hash, not the address itself; emails match
  // case-insensitively, so the seeded spelling and the typed one must give the same tag.
  const accountTag = (email: string) => createHash('sha256').update(normalizeEmail(email)).digest('base64url').slice(0, 22);

  return {
    rememberReturnTo(reply, path) {
      reply.setCookie(names.next, path, { signed: true, path: '/', maxAge: TEN_MINUTES_S });
    },
    takeReturnTo(request, reply) {
      const value = readSigned(request, names.next);
      if (value !== undefined) clear(reply, names.next);
      return sameOriginPath(value);
    },
    setNotice(reply, notice) {
      reply.setCookie(names.notice, notice, { signed: true, path: '/', maxAge: 60 });
    },
    takeNotice(request, reply) {
      const value = readSigned(request, names.notice);
      if (value === undefined) return undefined;
      clear(reply, names.notice);
      return Object.hasOwn(NOTICES, value) ? NOTICES[value as NoticeKey] : undefined;
    },
    issueDevice(reply, email) {
      const value = `${accountTag(email)}.${randomBytes(16).toString('base64url')}`;
      reply.setCookie(names.device, value, { signed: true, path: '/', maxAge: deviceDays * 24 * 60 * 60 });
    },
    deviceKey(request, email) {
      const value = readSigned(request, names.device);
      const [tag, nonce] = value?.split('.') ?? [];
      return tag === accountTag(email) && nonce ? nonce : undefined;
    },
    setCodesKey(reply, key) {
      // Not signed: 256 random bits need no MAC, and a wrong key simply opens nothing.
      reply.setCookie(names.codesKey, key, { path: '/', maxAge: TEN_MINUTES_S });
    },
    takeCodesKey(request, reply) {
      const value = request.cookies[names.codesKey];
      if (value === undefined) return undefined;
      clear(reply, names.codesKey);
      return value;
    },
  };
}
