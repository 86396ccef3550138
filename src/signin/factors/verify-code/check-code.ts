// "Check a code under the lock", written once: for a sign-in's code step and for "make new
// recovery codes". One Verify call at a time per Verify request (several pending sessions may
// share one), and the account's code budget is taken before the check, so parallel guesses
// outrun neither. What the right code leads to (`onRight`) runs still under the lock.
import type { FastifyRequest } from 'fastify';
import type { AuditLog } from '../../../accounts/audit-log.ts';
import type { Budgets } from '../../../state/budgets.ts';
import type { Verdict } from '../../../state/limits.ts';
import { describeFailure } from '../../../verify/outcome-messages.ts';
import type { FailureMessage } from '../../../verify/outcome-messages.ts';
import { logVerifyFailure } from '../../../verify/start-verification.ts';
import type { VerifyClient, VerifyFailure } from '../../../verify/verify-client.ts';
import type { Release } from '../../sign-in.ts';

/** Failures where Vonage judged the code: only these count against the account's code budget. */
const GUESSES: ReadonlySet<VerifyFailure> = new Set(['wrong-code', 'too-many-attempts']);

export interface CheckCodeDeps {
  verify: VerifyClient;
  budgets: Budgets;
  audit: AuditLog;
}

/** Holds the Verify request's lock for this request (released before its answer at the latest); undefined when held elsewhere. */
export async function holdVerifyCalls(request: FastifyRequest, budgets: Budgets, requestId: string): Promise<Release | undefined> {
  const release = await budgets.holdVerifyCalls(requestId);
  return release && request.server.signIn.releaseBeforeAnswer(request, release);
}

export type CheckOutcome<T> =
  | { kind: 'right'; value: T }
  | { kind: 'busy' }
  | { kind: 'throttled'; verdict: Verdict & { ok: false } }
  /** `restart`: the code can't be used any more (expired, too many wrong ones). */
  | { kind: 'wrong'; failure: VerifyFailure; outcome: FailureMessage };

export interface CodeToCheck {
  requestId: string;
  userId: number;
  code: string;
  /** What the code is for, before the failure on the audit rows (absent for a sign-in). */
  detail?: string;
}

/** Under the Verify request's lock: the code budget, the check, then `onRight` or the failure (audited). */
export async function checkUnderLock<T>(
  deps: CheckCodeDeps,
  request: FastifyRequest,
  { requestId, userId, code, detail }: CodeToCheck,
  onRight: () => Promise<T>,
): Promise<CheckOutcome<T>> {
  const { verify, budgets, audit } = deps;
  const withDetail = (text?: string) => (detail && text ? `${detail} ${text}` : (detail ?? text));
  const release = await holdVerifyCalls(request, budgets, requestId);
  if (!release) return { kind: 'busy' };
  try {
    const budget = await budgets.reserveCode(userId);
    if (!budget.verdict.ok) {
      if (budget.verdict.first) await audit.record('code-throttled', request, { userId, detail });
      return { kind: 'throttled', verdict: budget.verdict };
    }
    const result = await verify.check(requestId, code);
    if (result.ok) return { kind: 'right', value: await onRight() };
    if (!GUESSES.has(result.failure)) await budget.refund();
    logVerifyFailure(request.log, verify, 'check', result);
    const outcome = describeFailure(result.failure);
    const event = outcome.restart ? 'code-locked-out' : 'code-failed';
    await audit.record(event, request, { userId, detail: withDetail(result.failure) });
    return { kind: 'wrong', failure: result.failure, outcome };
  } finally {
    await release();
  }
}
