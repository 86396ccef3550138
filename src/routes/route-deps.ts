// What buildApp hands every route group (declared here, not in app.ts, so routes never import app.ts).
import type { AccountStore } from '../accounts/account-store.ts';
import type { AuditLog } from '../accounts/audit-log.ts';
import type { Budgets } from '../state/budgets.ts';
import type { Limits } from '../state/limits.ts';
import type { VerifyClient } from '../verify/verify-client.ts';

export interface RouteDeps {
  accounts: AccountStore;
  audit: AuditLog;
  verify: VerifyClient;
  budgets: Budgets;
  limits: Limits;
  /** Calling codes Verify may send to; empty allows all (VERIFY_ALLOWED_COUNTRIES). */
  allowedCountries: string[];
}
