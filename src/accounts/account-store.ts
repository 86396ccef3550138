// An account as the sign-in sees it, and what it needs of the store that keeps accounts; each
// engine under src/storage/ implements it.

/**
 * `sessionEpoch` is stored in each of the account's sessions; when it no longer matches (the
 * account was disabled, its password changed, or the id now names another account) the session
 * is over. `mustChangePassword`: the password is still the one an admin seeded (ASVS 6.4.1).
 */
export type Account = { id: number; email: string; phone: string; passwordHash: string; sessionEpoch: number; mustChangePassword: boolean };

export type AccountStore = {
  findByEmail(email: string): Promise<Account | undefined>;
  findById(id: number): Promise<Account | undefined>;
  /**
   * The same password, hashed with today's parameters (at sign-in). Not a credential change: the
   * account's remembered browsers, which a password change forgets (trigger), are kept. Only if
   * the hash is still `verifiedHash` (the one the password was just checked against): a sign-in
   * with the old password that races the owner's change must not write the old password back.
   * Whether it was written.
   */
  updatePasswordHash(id: number, passwordHash: string, verifiedHash: string): Promise<boolean>;
  /**
   * "Sign out everywhere": a new session epoch, so that no session started before it (even one
   * being written at this moment) matches the account any more. Undefined for a disabled account.
   */
  moveSessionEpoch(id: number): Promise<number | undefined>;
  /**
   * The user's own new password, in one statement: the hash, must_change_password = 0, a new
   * session epoch (sessions started before the change are over) and updated_at. Only if the hash
   * is still `expectedHash` (the one the current password was checked against), so of two changes
   * racing, one wins. Returns the new session epoch, or undefined when nothing changed.
   */
  changePassword(id: number, passwordHash: string, expectedHash: string): Promise<number | undefined>;
  /**
   * The user's own new phone (its code just came back right), in one statement: the phone, a new
   * session epoch (sessions started before the change are over) and updated_at; the account's
   * remembered browsers are forgotten by the same statement's trigger (migrations/0003). Only if
   * the phone is still `expected.phone` (the one it was when the change began), so of two changes
   * racing, one wins, and only if the session epoch is still `expected.sessionEpoch` (the one of
   * the session asking), so a password change or "sign out everywhere" that ended that session a
   * moment before is never followed by its phone change. Returns the new session epoch, or
   * undefined when nothing changed.
   */
  changePhone(id: number, phone: string, expected: { phone: string; sessionEpoch: number }): Promise<number | undefined>;
};
