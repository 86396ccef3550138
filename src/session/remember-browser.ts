// "Remember this browser": after a code step with the box ticked, the browser gets a random
// token in a cookie (`remember`; `__Host-remember` in production) and the database keeps only its
// SHA-256 (remembered_browsers, bound to the account). At a later password step for the same
// account, a live token skips the code, never the password: it is used up and replaced by a new
// one in one atomic step (src/accounts/remembered-browsers.ts), so of two requests with the same
// cookie only one skips the code, and a copied cookie is dead once either side has used it. A
// token is tied to the account's session epoch, and every token of one browser shares a random
// browser id, which the sessions it signs in keep so that ending one of them forgets the browser.
import { createHash, randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RememberedBrowserStore } from '../accounts/remembered-browsers.ts';

const DAY_S = 24 * 60 * 60;
const DAY_MS = DAY_S * 1000;
/** 32 random bytes, base64url: what the cookie must hold to be looked up at all. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface RememberBrowserOptions {
  cookieName: string;
  secure: boolean;
  store: RememberedBrowserStore;
  /** REMEMBER_DEVICE_DAYS; 0 turns the feature off. */
  days: number;
}

export interface RememberBrowser {
  /** How long a remembered browser skips the code; 0 when the feature is off. */
  readonly days: number;
  /**
   * Remembers this browser for the account (its code step just succeeded with the box ticked),
   * under the session epoch the sign-in read: its browser id, or undefined when that epoch is no
   * longer the account's (signed out everywhere, disabled meanwhile) and nothing was remembered.
   */
  remember(reply: FastifyReply, account: { id: number; sessionEpoch: number }): Promise<string | undefined>;
  /**
   * At the password step, after the password: when this browser's cookie holds a live token of
   * this account, made under its current session epoch, the token is used up and replaced (a new
   * cookie) and the browser's id is returned. Otherwise undefined, nothing in the database is
   * touched, and a cookie the browser sent is cleared.
   */
  redeem(request: FastifyRequest, reply: FastifyReply, userId: number): Promise<string | undefined>;
  /** Forgets every remembered browser of the account ("sign out everywhere"), this one's cookie too. */
  forgetAll(reply: FastifyReply, userId: number): Promise<number>;
  /** Forgets one browser of the account (a session it signed in was ended); how many rows went. */
  forgetBrowser(userId: number, browserId: string): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    rememberBrowser: RememberBrowser;
  }
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');
const newBrowserId = () => randomBytes(16).toString('base64url');

async function rememberBrowserPlugin(app: FastifyInstance, options: RememberBrowserOptions): Promise<void> {
  const { cookieName, secure, store, days } = options;
  const setCookie = (reply: FastifyReply, token: string, maxAgeSeconds: number) =>
    reply.setCookie(cookieName, token, { httpOnly: true, sameSite: 'lax', path: '/', secure, maxAge: Math.max(1, maxAgeSeconds) });
  const clearCookie = (reply: FastifyReply) => reply.clearCookie(cookieName, { path: '/', httpOnly: true, sameSite: 'lax', secure });

  const rememberBrowser: RememberBrowser = {
    days,
    async remember(reply, { id, sessionEpoch }) {
      if (days === 0) return undefined;
      const token = newToken();
      const browserId = newBrowserId();
      const createdAt = Date.now();
      if (!(await store.add(id, hashOf(token), { createdAt, expiresAt: createdAt + days * DAY_MS }, { sessionEpoch, browserId }))) return undefined;
      setCookie(reply, token, days * DAY_S);
      return browserId;
    },
    async redeem(request, reply, userId) {
      const token = request.cookies[cookieName];
      if (token === undefined) return undefined;
      if (days > 0 && TOKEN_SHAPE.test(token)) {
        const next = newToken();
        const rotated = await store.rotate(userId, hashOf(token), hashOf(next), Date.now() - days * DAY_MS, newBrowserId());
        if (rotated !== undefined) {
          // The successor keeps the first token's times: N days after the box was ticked, N being
          // today's REMEMBER_DEVICE_DAYS (a lowered setting shortens browsers remembered before).
          setCookie(reply, next, Math.floor((rotated.expiresAt - Date.now()) / 1000));
          return rotated.browserId;
        }
      }
      clearCookie(reply);
      return undefined;
    },
    async forgetAll(reply, userId) {
      const forgotten = await store.forgetAccount(userId);
      clearCookie(reply);
      return forgotten;
    },
    forgetBrowser: (userId, browserId) => store.forgetBrowser(userId, browserId),
  };
  app.decorate('rememberBrowser', rememberBrowser);
}

export default fp(rememberBrowserPlugin, { name: 'remember-browser', dependencies: ['@fastify/cookie'] });
