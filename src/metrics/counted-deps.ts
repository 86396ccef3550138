// Where the sign-in's counters are taken: at the three objects every route already goes through.
// The audit log sees each sign-in outcome, the limits see each refusal (every refusal is a 429), and
// the Verify client sees each code sent and each call that failed. Wrapping them here keeps the
// routes free of metrics code; without metrics they are passed on untouched.
import type { AuditEvent, AuditLog } from '../accounts/audit-log.ts';
import type { Limits } from '../state/limits.ts';
import type { VerifyClient, VerifyResult } from '../verify/verify-client.ts';
import { describeFailure } from '../verify/outcome-messages.ts';
import { callingCodeOf } from './calling-code.ts';
import type { SignInMetrics } from './signin-metrics.ts';

/**
 * How many deliveries each Verify request started here has had, so a resend is counted under the
 * channel it moves to (VERIFY_WORKFLOW's order). Instance-local and bounded: a request started on
 * another instance, or forgotten past the bound, is counted as `unknown`.
 */
const TRACKED_REQUESTS = 10_000;

/**
 * Audit events that end a sign-in step, as [step, outcome]. Throttled events are left out: they are
 * recorded once per window, and signin_throttled_total counts every refusal by budget.
 */
const OUTCOMES: Partial<Record<AuditEvent, [string, string]>> = {
  'password-ok': ['password', 'ok'],
  'password-failed': ['password', 'failed'],
  'code-sent': ['send', 'ok'],
  'code-send-failed': ['send', 'failed'],
  'code-send-refused-country': ['send', 'refused-country'],
  'code-ok': ['code', 'ok'],
  'code-failed': ['code', 'failed'],
  'code-locked-out': ['code', 'locked-out'],
  'code-skipped-remembered-browser': ['code', 'remembered-browser'],
  'recovery-code-used': ['code', 'recovery-code'],
  'recovery-code-failed': ['code', 'recovery-code-failed'],
  'signin-cancelled': ['code', 'cancelled'],
  // A passkey is the second step too (a confirmation's use counts here as well: the same check).
  'passkey-used': ['code', 'passkey'],
  'passkey-failed': ['code', 'passkey-failed'],
};

export interface CountedDeps {
  audit: AuditLog;
  limits: Limits;
  verify: VerifyClient;
}

export function countedDeps(metrics: SignInMetrics | undefined, deps: CountedDeps): CountedDeps {
  if (!metrics) return deps;
  return { audit: countedAudit(deps.audit, metrics), limits: countedLimits(deps.limits, metrics), verify: countedVerify(deps.verify, metrics) };
}

function countedAudit(audit: AuditLog, metrics: SignInMetrics): AuditLog {
  return {
    record(event, from, entry) {
      const outcome = OUTCOMES[event];
      if (outcome) metrics.signInOutcome(...outcome);
      return audit.record(event, from, entry);
    },
  };
}

function countedLimits(limits: Limits, metrics: SignInMetrics): Limits {
  return {
    async consume(...entries) {
      const verdict = await limits.consume(...entries);
      if (!verdict.ok) metrics.throttled(verdict.limit);
      return verdict;
    },
    refund: (...entries) => limits.refund(...entries),
    penalize: (name, key) => limits.penalize(name, key),
    reset: (...entries) => limits.reset(...entries),
    peek: (...entries) => limits.peek(...entries),
    clear: (...entries) => limits.clear(...entries),
  };
}

function countedVerify(verify: VerifyClient, metrics: SignInMetrics): VerifyClient {
  const failed = <T extends VerifyResult>(operation: 'start' | 'check' | 'resend' | 'cancel', result: T): T => {
    if (result.ok) return result;
    metrics.verifyFailed(operation, result.failure);
    // A failed cancel is not shown (the sign-in ends anyway); the others answer with the failure's page.
    if (operation !== 'cancel' && describeFailure(result.failure).status === 503) metrics.unavailable('verify');
    return result;
  };
  const deliveries = new Map<string, number>();
  return {
    api: verify.api,
    channels: verify.channels,
    codeLength: verify.codeLength,
    async start(phone, email) {
      const result = await verify.start(phone, email);
      if (result.ok) {
        metrics.verifyStarted(verify.channels[0] ?? 'unknown', callingCodeOf(phone));
        if (deliveries.size >= TRACKED_REQUESTS) deliveries.delete(deliveries.keys().next().value as string);
        deliveries.set(result.requestId, 0);
      }
      return failed('start', result);
    },
    check: async (requestId, code) => failed('check', await verify.check(requestId, code)),
    async resend(requestId) {
      const result = await verify.resend(requestId);
      if (result.ok) {
        const step = deliveries.get(requestId);
        const next = step === undefined ? undefined : step + 1;
        if (next !== undefined) deliveries.set(requestId, next);
        metrics.verifyResent((next !== undefined && verify.channels[next]) || 'unknown');
      }
      return failed('resend', result);
    },
    cancel: async (requestId) => failed('cancel', await verify.cancel(requestId)),
  };
}
