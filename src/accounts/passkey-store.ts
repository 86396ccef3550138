// Where an account's passkeys (WebAuthn credentials) are kept: always in the database (Redis
// never holds them; a registration's or sign-in's challenge lives in the session). Each engine
// under src/storage/ implements it; every write that must hold under parallel requests (the
// limit per account, a credential registered once, the signature counter) is one atomic step.

/** At most this many passkeys per account. */
export const MAX_PASSKEYS = 10;

export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

export interface Passkey {
  /** The row's own id: what the "Remove" form posts. */
  id: number;
  userId: number;
  /** The WebAuthn credential ID, base64url. Unique across every account. */
  credentialId: string;
  /** The credential's COSE public key, as the authenticator gave it. */
  publicKey: Uint8Array;
  /** The signature counter last seen (0 for authenticators that keep none). */
  counter: number;
  /** The transports the authenticator reported (`internal`, `hybrid`, `usb`, …), as hints for the browser. */
  transports: string[];
  /** Whether the credential may be synced to other devices (the BE flag at registration). */
  deviceType: PasskeyDeviceType;
  /** Whether it is backed up now (the BS flag, updated at each use). */
  backedUp: boolean;
  /** The user's name for it ("Passkey added on 7 Dec 2026" unless they gave one). */
  name: string;
  /** When it was added (ms since the epoch). */
  createdAt: number;
  /** When it last signed in or confirmed (ms), null if never. */
  lastUsedAt: number | null;
}

export type NewPasskey = Omit<Passkey, 'id' | 'lastUsedAt'>;

/** `signed-out`: the account's session epoch is no longer the one given (or the account is disabled). */
export type AddPasskeyResult = { added: Passkey } | { refused: 'full' | 'taken' | 'signed-out' };

export interface PasskeyUse {
  /** The counter the assertion was checked against (the stored one, read before the check). */
  seenCounter: number;
  newCounter: number;
  backedUp: boolean;
  usedAt: number;
}

export interface PasskeyStore {
  /** The account's passkeys, oldest first. */
  list(userId: number): Promise<Passkey[]>;
  /** Whether the account has any (asked after every right password: one indexed read). */
  has(userId: number): Promise<boolean>;
  /**
   * Adds it in one atomic step unless the account already has `max` passkeys (`full`), this
   * credential ID is registered already, to this account or any other (`taken`), or, when
   * `sessionEpoch` is given (the session asking), the account's epoch moved since: a password
   * change or "sign out everywhere" ended that session a moment before (`signed-out`).
   */
  add(passkey: NewPasskey, max?: number, sessionEpoch?: number): Promise<AddPasskeyResult>;
  /** The account's own passkey with this credential ID; another account's is never returned. */
  find(userId: number, credentialId: string): Promise<Passkey | undefined>;
  /**
   * After a verified assertion: the new counter, backup state and last use, written only if the
   * stored counter is still `seenCounter` (of two assertions racing on one counter, one wins).
   * Whether it was written.
   */
  recordUse(userId: number, credentialId: string, use: PasskeyUse): Promise<boolean>;
  /** Removes the account's passkey with this row id; whether there was one. */
  remove(userId: number, id: number): Promise<boolean>;
}
