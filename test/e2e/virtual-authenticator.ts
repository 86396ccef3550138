// Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain) attached to a page:
// a passkey provider that answers navigator.credentials with no prompt, so a browser test (or the
// recording script under test/fixtures/webauthn/) can register and sign in with a real passkey.
// Each one is a separate "device": its credentials are its own, and a page may hold several.
import type { CDPSession, Page } from 'playwright-core';

export interface VirtualAuthenticatorOptions {
  /**
   * Whether it verifies its user (a fingerprint, a PIN). Default true. False is a plain security
   * key: no user verification at all (CDP's hasUserVerification and isUserVerified both false).
   * A UV-capable one whose user fails verification (isUserVerified false alone) answers nothing:
   * Chromium refuses every ceremony with NotAllowedError, whatever the options ask.
   */
  verifiesUser?: boolean;
}

export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

export interface VirtualAuthenticator {
  readonly id: string;
  /** The credentials it holds (credentialId as base64url, as the app stores it). */
  credentials(): Promise<VirtualCredential[]>;
  /** Takes it off the page (a device put away): its credentials go with it. */
  remove(): Promise<void>;
}

/** One CDP session per page: WebAuthn.enable once, then as many authenticators as a test needs. */
const sessions = new WeakMap<Page, Promise<CDPSession>>();

function sessionFor(page: Page): Promise<CDPSession> {
  let session = sessions.get(page);
  if (!session) {
    session = (async () => {
      const cdp = await page.context().newCDPSession(page);
      // enableUI false: no Chromium dialog; the authenticator answers as if the user touched it.
      await cdp.send('WebAuthn.enable', { enableUI: false });
      return cdp;
    })();
    sessions.set(page, session);
  }
  return session;
}

/** CDP gives credential IDs as base64 (with + and /); the app and WebAuthn JSON use base64url. */
const toBase64url = (base64: string) => Buffer.from(base64, 'base64').toString('base64url');

/**
 * A platform authenticator (ctap2, internal, resident keys, user verification) on this page, as a
 * phone's or laptop's built-in passkey provider is.
 */
export async function withVirtualAuthenticator(page: Page, options: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
  const cdp = await sessionFor(page);
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: options.verifiesUser ?? true,
      isUserVerified: options.verifiesUser ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    id: authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return credentials.map((c) => ({
        credentialId: toBase64url(c.credentialId),
        isResidentCredential: c.isResidentCredential,
        rpId: c.rpId,
        userHandle: c.userHandle === undefined ? undefined : toBase64url(c.userHandle),
        signCount: c.signCount,
      }));
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    },
  };
}
