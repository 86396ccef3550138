// Who did what and when, in the database beside the accounts. Never secrets, codes, session
// IDs or Verify request IDs: an event, the account when known, the address and the user agent.

export type AuditEvent =
  | 'password-ok'
  | 'password-failed'
  | 'password-throttled'
  | 'account-locked'
  | 'code-sent'
  | 'code-send-failed'
  | 'code-send-throttled'
  | 'code-send-refused-country'
  | 'code-resent'
  | 'code-ok'
  | 'code-failed'
  | 'code-throttled'
  | 'code-locked-out'
  | 'signin-cancelled'
  | 'signed-out'
  | 'session-ended'
  | 'browser-remembered'
  | 'code-skipped-remembered-browser'
  | 'session-revoked'
  | 'sessions-revoked-others'
  | 'sessions-revoked-by-admin'
  | 'limits-cleared-by-admin'
  | 'recovery-codes-issued'
  | 'recovery-code-used'
  | 'recovery-code-failed'
  | 'recovery-codes-regenerated'
  | 'password-changed'
  | 'password-change-failed'
  | 'step-up-confirmed'
  // Changing the phone (/account/phone): the detail names the new number's calling code, never the number.
  | 'phone-change-started'
  | 'phone-changed'
  | 'phone-change-failed'
  | 'passkey-added'
  | 'passkey-removed'
  | 'passkey-used'
  | 'passkey-failed';

/** Where a request came from, as the trusted proxy saw it. */
export interface RequestOrigin {
  ip: string;
  headers: { 'user-agent'?: string };
}

/** One event as `npm run audit` reads it back, on either engine. */
export type AuditEntry = {
  id: number;
  at: string;
  event: string;
  user_id: number | null;
  /** The account's email, joined in; null for an unknown or deleted account. */
  account: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
};

export interface AuditLog {
  /** Resolves once the event is stored; rejects when the database does not answer. */
  record(event: AuditEvent, from: RequestOrigin, entry?: { userId?: number; detail?: string }): Promise<void>;
}

/** The admin's read (`npm run audit`), the same rows on every engine. */
export interface AuditReader {
  /**
   * Events at or after `since` (an ISO time), oldest first; only this account's when `account`
   * (an email, any letter case) is given, and undefined when no account has that email.
   */
  eventsSince(since: string, account?: string): Promise<AuditEntry[] | undefined>;
}
