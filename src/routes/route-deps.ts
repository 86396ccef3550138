// What buildApp hands every route group (declared here, not in app.ts, so routes never import app.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PendingSignIn } from '../signin/state.ts';
import type { AccountStore } from '../accounts/account-store.ts';
import type { AuditLog } from '../accounts/audit-log.ts';
import type { RecoveryCodes } from '../accounts/recovery-codes.ts';
import type { Budgets } from '../state/budgets.ts';
import type { Limits } from '../state/limits.ts';
import type { VerifyClient } from '../verify/verify-client.ts';

export interface RouteDeps {
  accounts: AccountStore;
  audit: AuditLog;
  verify: VerifyClient;
  budgets: Budgets;
  /** The accounts' recovery codes (made, spent, replaced). */
  recoveryCodes: RecoveryCodes;
  limits: Limits;
  /** Calling codes Verify may send to; empty allows all (VERIFY_ALLOWED_COUNTRIES). */
  allowedCountries: string[];
}

/** The code page's shared steps (code.ts builds them; code-actions.ts's resend and cancel use them). */
export interface CodePage {
  /** The pending sign-in, or a redirect to /login (with a notice when it timed out). */
  pendingOr303(request: FastifyRequest, reply: FastifyReply): Promise<PendingSignIn | undefined>;
  show(reply: FastifyReply, status: number, pending: PendingSignIn, error?: string, notice?: string): Promise<FastifyReply>;
  throttled(reply: FastifyReply, pending: PendingSignIn, verdict: { retryAfterMs: number }, message: string): Promise<FastifyReply>;
  busy(reply: FastifyReply, pending: PendingSignIn): Promise<FastifyReply>;
  /** Code-step requests per address; answers 429 itself when spent. */
  perAddress(request: FastifyRequest, reply: FastifyReply, pending: PendingSignIn): Promise<FastifyReply | undefined>;
}
