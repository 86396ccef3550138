// Passkeys as a service (PASSKEYS=on only: off, this plugin is not registered and nothing else
// finds `app.passkeys`): the store (`database.passkeys`), the relying party taken from
// PUBLIC_ORIGIN and the brand, and the challenges of registrations, sign-ins and confirmations.
//
// A challenge lives in the server-side session only (never a cookie, a page or a log line): one
// at a time per session, at most CHALLENGE_TTL_MS, and gone from the session the moment a response
// is checked against it, whether the check succeeds or not. Parallel requests on one session may
// each load it before either saves (the session store is last-write-wins), so taking it also takes
// the challenge's one point in the shared store (limits.ts's `passkey-challenge`): of two responses
// to one challenge (one replayed, or two authenticators answering the same registration) only
// the first is checked. The sign-in's and the confirmation's claims still decide what finishes.
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PasskeyStore } from '../accounts/passkey-store.ts';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { CHALLENGE_TTL_MS, authenticationOptions, relyingParty } from './webauthn.ts';
import type { RelyingParty } from './webauthn.ts';

export type ChallengePurpose = 'register' | 'sign-in' | 'confirm';

export interface PasskeyChallenge {
  purpose: ChallengePurpose;
  /** base64url, as the options sent to the browser carry it. */
  challenge: string;
  userId: number;
  /** ms since the epoch. */
  expiresAt: number;
}

/** Why no challenge could be taken: none (never asked, or used already), or too old. */
export type TakenChallenge = { ok: true; challenge: string } | { ok: false; reason: 'none' | 'expired' };

export interface Passkeys {
  store: PasskeyStore;
  rp: RelyingParty;
  /**
   * Options asking the browser for one of this account's passkeys (a sign-in or a confirmation),
   * their challenge kept in the session; undefined when the account has none any more.
   */
  askFor(request: FastifyRequest, purpose: 'sign-in' | 'confirm', userId: number): Promise<PublicKeyCredentialRequestOptionsJSON | undefined>;
  /** Keeps the challenge of options just made for this session (replacing any earlier one). */
  keepChallenge(request: FastifyRequest, purpose: ChallengePurpose, userId: number, challenge: string): void;
  /**
   * The session's challenge for this purpose and account, removed from the session whatever it
   * was; 'none' as well when a parallel request took it first (one atomic point in the shared store).
   */
  takeChallenge(request: FastifyRequest, purpose: ChallengePurpose, userId: number): Promise<TakenChallenge>;
}

declare module 'fastify' {
  interface FastifyInstance {
    passkeys: Passkeys;
  }
  interface Session {
    passkeyChallenge?: PasskeyChallenge;
    /** Set after a sign-in by SMS code of an account with no passkey: the home page offers one. */
    passkeyOffer?: boolean;
    /** A one-shot message for the passkeys page (added, removed). */
    passkeysNotice?: string;
    /**
     * /account/confirm: when the password was right again, for an account with a passkey (ms since
     * the epoch). A passkey, or "Send a code instead", may follow for a few minutes.
     */
    confirmPasswordAt?: number;
  }
}

export interface PasskeysOptions {
  store: PasskeyStore;
  /** PUBLIC_ORIGIN's origin (`https://app.example.com`): its host name is the relying party ID. */
  publicOrigin: string;
  brand: string;
}

export function createPasskeys({ store, publicOrigin, brand }: PasskeysOptions): Passkeys {
  const passkeys: Passkeys = {
    store,
    rp: relyingParty(new URL(publicOrigin), brand),
    async askFor(request, purpose, userId) {
      const list = await store.list(userId);
      if (list.length === 0) return undefined;
      const options = await authenticationOptions(passkeys.rp, list);
      passkeys.keepChallenge(request, purpose, userId, options.challenge);
      return options;
    },
    keepChallenge(request, purpose, userId, challenge) {
      request.session.passkeyChallenge = { purpose, challenge, userId, expiresAt: Date.now() + CHALLENGE_TTL_MS };
    },
    async takeChallenge(request, purpose, userId) {
      const kept = request.session.passkeyChallenge;
      if (kept === undefined) return { ok: false, reason: 'none' };
      // Single use: whatever the check finds, this challenge signs nothing else.
      delete request.session.passkeyChallenge;
      if (kept.purpose !== purpose || kept.userId !== userId) return { ok: false, reason: 'none' };
      if (Date.now() >= kept.expiresAt) return { ok: false, reason: 'expired' };
      // This session's copy may have been loaded before a parallel request's use was saved.
      const once = await request.server.limits.consume(['passkey-challenge', kept.challenge]);
      if (!once.ok) return { ok: false, reason: 'none' };
      return { ok: true, challenge: kept.challenge };
    },
  };
  return passkeys;
}

async function passkeysPlugin(app: FastifyInstance, options: PasskeysOptions): Promise<void> {
  app.decorate('passkeys', createPasskeys(options));
}

export default fp(passkeysPlugin, { name: 'passkeys', fastify: '5.x', dependencies: ['@fastify/session', 'budgets'] });
