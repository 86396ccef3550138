// What a second factor is to the sign-in: a module that, once the password is right, either
// finishes the sign-in itself (a remembered browser), starts its own step (a code sent, a passkey
// asked for) or passes to the next factor; and that finishes the sign-in only through
// `app.signIn.finish` (complete.ts), with a proof like this one. A new factor is a new module
// here and one `app.signIn.addFactor(...)` in its plugin: the routes do not change.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Account } from '../../accounts/account-store.ts';
import type { AuditEvent } from '../../accounts/audit-log.ts';

export type FactorKind = 'verify-code' | 'recovery-code' | 'remembered-browser' | (string & {});

/** A factor refused to go on (throttled, not served, Vonage down): the page says why. */
export interface Refusal {
  status: number;
  message: string;
  /** Throttled: the answer carries Retry-After and the message says how long. */
  retryAfterMs?: number;
}

/** What a factor did right after the password: answered the request, refused, or passed (undefined). */
export type AfterPassword = { answered: FastifyReply } | { refused: Refusal } | undefined;

export interface SecondFactor {
  readonly kind: FactorKind;
  /** Right after a right password; the first factor (in registration order) that does not pass decides. */
  afterPassword(request: FastifyRequest, reply: FastifyReply, account: Account): Promise<AfterPassword>;
}

/** A factor's word that the sign-in may finish: what `app.signIn.finish` needs to do it. */
export interface FactorProof {
  factor: FactorKind;
  /** The audit row of this sign-in (code-ok, recovery-code-used, code-skipped-remembered-browser). */
  audit: { event: AuditEvent; detail?: string };
  /**
   * At the password step (a remembered browser): the account just verified, and no pending sign-in
   * to claim. Otherwise the pending sign-in's account is read afresh and claimed atomically.
   */
  account?: Account;
  /** The remembered browser this sign-in came from: ending the session forgets it. */
  rememberedBrowser?: string;
  /** Runs in the new session, before the answer (budgets, the remember box, first recovery codes). */
  afterwards?(account: Account): Promise<void>;
  /** The sign-in could not finish (ended meanwhile, account gone): undo what the factor spent. */
  giveBack?(): Promise<void>;
}
