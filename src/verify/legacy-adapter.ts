// Legacy Verify (v1: api key + secret) behind the VerifyClient interface.
//
// Wire facts this relies on (Vonage's verify v1 OpenAPI spec and @vonage/verify 1.23 source):
//  - The SDK POSTs JSON with `Authorization: Basic base64(key:secret)` to {apiHost}/verify/json,
//    /verify/check/json and /verify/control/json ({request_id, cmd: cancel|trigger_next_event}).
//  - Vonage answers HTTP 200 with `status` as a *string* ("0" = success) and `error_text` on
//    failure; the SDK does not throw for a non-zero status, so we branch on it here.
//  - Status 10 (concurrent) carries the running `request_id`; 19 means "too soon / too late to
//    cancel" for cancel and "no more events" for trigger_next_event.
//  - Non-2xx makes the SDK throw VetchError with `config.headers.Authorization` attached: that
//    object never leaves this file.

import { Auth } from '@vonage/auth';
import { Verify, type VerifyLanguages, type VerifyWorkflows } from '@vonage/verify';
import type { VerifyClient, VerifyFailure, VerifyResult } from './verify-client.ts';
import { normalizeCode } from './code-shape.ts';
import type { LegacyCredentials, VonageSettings } from './vonage-settings.ts';
import { DEFAULT_DELIVERY, deliveredChannels, legacyWorkflowFor, type DeliverySettings } from './delivery-settings.ts';
import {
  fail,
  isRecord,
  isSafeRequestId,
  responseOf,
  statusText,
  thrownDetail,
  toDigits,
  withDeadline,
  type Failure,
  type VerifyOp,
} from './adapter-util.ts';

/** Settings as loadConfig checked them (vonage-settings.ts): used as they are. */
export interface LegacyVerifyClientOptions extends VonageSettings, LegacyCredentials {
  /**
   * Channels (sms and voice only: the nearest numbered workflow is sent), code length (4 or 6)
   * and locale (`lg`); default SMS then voice (workflow 5), 6 digits, en-us.
   */
  delivery?: DeliverySettings;
}

/** Maps a legacy `status` (as Vonage sends it, a numeric string) to a failure kind. */
export function legacyFailureFor(status: string, op: VerifyOp, errorText: string): VerifyFailure {
  const text = errorText.toLowerCase();
  switch (status) {
    case '1':
      return 'throttled';
    case '3':
      if (op === 'start' && /number/.test(text)) return 'invalid-number';
      if (op !== 'start' && /request_?id/.test(text)) return 'expired';
      if (op === 'check' && /\bcode\b/.test(text)) return 'wrong-code';
      return 'rejected';
    case '2':
    case '4':
    case '7':
    case '8':
    case '9':
    case '18':
    case '20':
      return 'rejected';
    case '5':
      return 'unavailable';
    case '6':
      // On start, 6 is "the request could not be routed": about the destination, not a request.
      return op === 'start' ? 'unreachable-number' : 'expired';
    case '10':
      return 'concurrent';
    case '15':
    case '29':
      return 'unreachable-number';
    case '16':
      return 'wrong-code';
    case '17':
      return 'too-many-attempts';
    case '19':
      return op === 'resend' ? 'no-more-events' : 'cancel-too-soon';
    default:
      return 'unavailable';
  }
}

function statusOf(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  const s = data.status;
  if (typeof s === 'number' && Number.isInteger(s)) return String(s);
  return typeof s === 'string' && /^\d{1,4}$/.test(s) ? s : undefined;
}

export function createLegacyVerifyClient(opts: LegacyVerifyClientOptions): VerifyClient {
  const { apiHost, timeoutMs, brand } = opts;
  const delivery = opts.delivery ?? DEFAULT_DELIVERY;
  const { codeLength } = delivery;
  // The SDK's enums are the spec's values; VERIFY_LOCALE was checked for form only, Vonage judges the rest.
  const lg = delivery.locale as VerifyLanguages;
  const workflowId = legacyWorkflowFor(delivery.workflow) as unknown as VerifyWorkflows;
  // privateKey '' keeps Auth's `existsSync(privateKey)` from warning about `undefined`.
  const sdk = new Verify(new Auth({ apiKey: opts.apiKey, apiSecret: opts.apiSecret, privateKey: '' }), {
    apiHost,
    timeout: timeoutMs,
  });
  const deadline = timeoutMs + 1000;

  function thrown(err: unknown, op: VerifyOp): Failure {
    const response = responseOf(err);
    if (!response) return fail('unavailable', thrownDetail(`legacy ${op}`, err));
    // Never read the body: legacy errors come as 200 + status; anything else is not Vonage.
    response.body?.cancel().catch(() => undefined);
    const s = response.status;
    const failure: VerifyFailure =
      s === 401 || s === 403 ? 'rejected' : s === 429 ? 'throttled' : 'unavailable';
    return fail(failure, `legacy ${op} HTTP ${statusText(s)}${s < 400 ? ' undecodable body' : ''}`);
  }

  /** Runs one SDK call; `onZero` turns a status-"0" body into the success result. */
  async function call<T extends object>(
    op: VerifyOp,
    work: (client: Verify) => Promise<unknown>,
    onZero: (data: Record<string, unknown>) => VerifyResult<T>,
  ): Promise<VerifyResult<T>> {
    const attempt = (async (): Promise<VerifyResult<T>> => {
      let data: unknown;
      try {
        data = await work(sdk);
      } catch (err) {
        return thrown(err, op);
      }
      const status = statusOf(data);
      if (status === undefined || !isRecord(data)) return fail('unavailable', `legacy ${op} unparsable response`);
      if (status === '0') return onZero(data);
      const errorText = typeof data.error_text === 'string' ? data.error_text : '';
      const failure = legacyFailureFor(status, op, errorText);
      const detail = `legacy ${op} status ${status}`;
      if (failure === 'concurrent' && isSafeRequestId(data.request_id)) {
        return fail(failure, detail, data.request_id);
      }
      return fail(failure, detail);
    })().catch(() => fail('unavailable', `legacy ${op} client error`)); // no method may throw
    return withDeadline(attempt, deadline, () => fail('unavailable', `legacy ${op} timeout`));
  }

  const ok = (): VerifyResult => ({ ok: true });

  return {
    api: 'legacy',
    channels: deliveredChannels('legacy', delivery.workflow),
    codeLength,

    async start(phone) {
      const number = toDigits(phone);
      if (number.length === 0) return fail('invalid-number', 'legacy start no digits in phone');
      return call<{ requestId: string }>(
        'start',
        (client) => client.start({ number, brand, codeLength, lg, workflowId }),
        (data) =>
          isSafeRequestId(data.request_id)
            ? { ok: true, requestId: data.request_id }
            : fail('unavailable', 'legacy start missing request_id'),
      );
    },

    async check(requestId, code) {
      if (!isSafeRequestId(requestId)) return fail('expired', 'legacy check malformed request id');
      const c = normalizeCode(code, codeLength);
      if (c === undefined) return fail('wrong-code', 'legacy check malformed code (not sent)');
      return call('check', (client) => client.check(requestId, c), ok);
    },

    async resend(requestId) {
      if (!isSafeRequestId(requestId)) return fail('expired', 'legacy resend malformed request id');
      return call('resend', (client) => client.trigger(requestId), ok);
    },

    async cancel(requestId) {
      if (!isSafeRequestId(requestId)) return fail('expired', 'legacy cancel malformed request id');
      return call('cancel', (client) => client.cancel(requestId), ok);
    },
  };
}
