// Verify v2 (JWT-authenticated, problem+json errors) behind the VerifyClient interface.
//
// Wire facts this relies on (Vonage's verify v2 OpenAPI spec and @vonage/verify2 1.22 source):
//  - POST {apiHost}/v2/verify  {brand, workflow:[{channel,to[,from]}], code_length, locale, channel_timeout}
//    → 202 {request_id}; 409 concurrent (body names the running request_id); 422 invalid params;
//    401 bad JWT; 402 low balance; 429 rate limit.
//  - POST {apiHost}/v2/verify/{id} {code} → 200 {request_id, status:"completed"}; 400 invalid code;
//    404 not found / expired / already used; 409 step takes no code; 410 too many wrong codes.
//  - DELETE {apiHost}/v2/verify/{id} → 204; 404 unknown or verified; 409 already expired or failed
//    (the spec's cancel draft). POST …/{id}/next_workflow → 200; 404; 409 = no events left.
//  - The SDK throws VetchError on any non-2xx, carrying the *unread* fetch Response, and the
//    request options including `headers.Authorization` — so that object never leaves this file.
//  - `verify2.cancel` / `verify2.nextWorkflow` swallow errors into `false`, so we call the public
//    `sendDeleteRequest` / `sendPostRequest` with the very same URLs to see the status.

import { Auth } from '@vonage/auth';
import { Channels, Verify2, type VerificationRequestParams } from '@vonage/verify2';
import type { VerifyClient, VerifyFailure, VerifyResult } from './verify-client.ts';
import { normalizeCode } from './code-shape.ts';
import type { V2Credentials, VonageSettings } from './vonage-settings.ts';
import { DEFAULT_DELIVERY, type DeliveryChannel, type DeliverySettings } from './delivery-settings.ts';
import {
  fail,
  isRecord,
  isSafeRequestId,
  problemSlug,
  problemText,
  readJsonBody,
  responseOf,
  statusText,
  thrownDetail,
  toDigits,
  withDeadline,
  type Failure,
  type VerifyOp,
} from './adapter-util.ts';

/** Settings as loadConfig checked them (vonage-settings.ts): used as they are. */
export interface V2VerifyClientOptions extends VonageSettings, V2Credentials {
  /** Channels, code length (4–10), locale, WhatsApp sender; default SMS then voice, 6 digits, en-us. */
  delivery?: DeliverySettings;
  /** Seconds before the next channel follows (Vonage: 15–900, default here 300). */
  channelTimeout?: number;
}

type Workflow = VerificationRequestParams['workflow'];
type CodeLength = NonNullable<VerificationRequestParams['codeLength']>;

/** One workflow step per channel, each with its own fields; an email step needs the account's address. */
function workflowFor(channels: readonly DeliveryChannel[], to: string, email: string | undefined, whatsappFrom: string | undefined): Workflow {
  const steps: Workflow = [];
  for (const channel of channels) {
    if (channel === 'sms') steps.push({ channel: Channels.SMS, to });
    else if (channel === 'voice') steps.push({ channel: Channels.VOICE, to });
    else if (channel === 'whatsapp') steps.push({ channel: Channels.WHATSAPP, to, ...(whatsappFrom ? { from: whatsappFrom } : {}) });
    else if (email) steps.push({ channel: Channels.EMAIL, to: email });
  }
  return steps;
}

/** Maps a v2 HTTP error status (plus its problem body) to what the sign-in understands. */
export function v2FailureFor(status: number, op: VerifyOp, body: unknown): VerifyFailure {
  const text = problemText(body);
  const aboutDestination =
    /destination|not permitted|non-permitted|unsupported network|network (is )?not supported|not in a supported network|blacklist|barred number/.test(
      text,
    );
  const aboutNumber = /(param [^:]*\bto\b|\bnumber\b|msisdn|phone)/.test(text);
  switch (status) {
    case 400:
      return op === 'check' ? 'wrong-code' : 'rejected';
    case 401:
    case 402:
      return 'rejected';
    case 403:
      return aboutDestination ? 'unreachable-number' : 'rejected';
    case 404:
      return op === 'start' ? 'rejected' : 'expired';
    case 409:
      if (op === 'start') return 'concurrent';
      if (op === 'check') return 'expired'; // this request cannot take a code: start over
      if (op === 'cancel') return 'expired'; // the request already expired or failed
      return /try again later|replication/.test(text) ? 'unavailable' : 'no-more-events';
    case 410:
      return 'too-many-attempts';
    case 422:
      if (aboutDestination) return 'unreachable-number';
      // Our sender (VONAGE_WHATSAPP_FROM) refused is our configuration, not the user's number.
      if (/param [^:]*\bfrom\b/.test(text)) return 'rejected';
      if (aboutNumber && op === 'start') return 'invalid-number';
      if (op === 'check' && /param [^:]*\bcode\b|\bcode\b/.test(text)) return 'wrong-code';
      return 'rejected';
    case 429:
      return 'throttled';
    default:
      return 'unavailable'; // 5xx, odd 2xx/3xx that failed to decode, anything unexpected
  }
}

export function createV2VerifyClient(opts: V2VerifyClientOptions): VerifyClient {
  const { apiHost: host, timeoutMs, brand } = opts;
  const delivery = opts.delivery ?? DEFAULT_DELIVERY;
  const codeLength = delivery.codeLength as CodeLength;
  const channelTimeout = Math.min(900, Math.max(15, Math.round(opts.channelTimeout ?? 300)));
  const sdk = new Verify2(new Auth({ applicationId: opts.applicationId, privateKey: opts.privateKey }), {
    apiHost: host,
    timeout: timeoutMs,
  });
  // Backstop only: the SDK aborts at timeoutMs; an error body gets another timeoutMs at most.
  const deadline = timeoutMs * 2 + 1000;

  async function failureFrom(err: unknown, op: VerifyOp, secrets: string[]): Promise<Failure> {
    const response = responseOf(err);
    if (!response) return fail('unavailable', thrownDetail(`v2 ${op}`, err));
    const status = response.status;
    const body = status >= 400 ? await readJsonBody(response, timeoutMs) : undefined;
    const failure = v2FailureFor(status, op, body);
    const slug = problemSlug(body, secrets);
    const detail = `v2 ${op} ${statusText(status)}${status < 400 ? ' undecodable body' : ''}${slug ? ` (${slug})` : ''}`;
    if (failure === 'concurrent' && isRecord(body) && isSafeRequestId(body.request_id)) {
      return fail(failure, detail, body.request_id);
    }
    return fail(failure, detail);
  }

  async function guarded<T extends object>(
    op: VerifyOp,
    secrets: string[],
    work: (client: Verify2) => Promise<VerifyResult<T>>,
  ): Promise<VerifyResult<T>> {
    const attempt = (async (): Promise<VerifyResult<T>> => {
      try {
        return await work(sdk);
      } catch (err) {
        return failureFrom(err, op, secrets);
      }
    })().catch(() => fail('unavailable', `v2 ${op} client error`)); // no method may throw
    return withDeadline(attempt, deadline, () => fail('unavailable', `v2 ${op} timeout`));
  }

  return {
    api: 'v2',
    channels: delivery.workflow,
    codeLength,

    async start(phone, email) {
      const to = toDigits(phone);
      if (to.length === 0) return fail('invalid-number', 'v2 start no digits in phone');
      const workflow = workflowFor(delivery.workflow, to, email, delivery.whatsappFrom);
      if (workflow.length === 0) return fail('rejected', 'v2 start no workflow step (email only, and no address)');
      return guarded<{ requestId: string }>('start', [to, ...(email ? [email] : [])], async (client) => {
        const res = await client.newRequest({ brand, codeLength, locale: delivery.locale, channelTimeout, workflow });
        const requestId: unknown = isRecord(res) ? res.requestId : undefined;
        if (!isSafeRequestId(requestId)) return fail('unavailable', 'v2 start missing request_id');
        return { ok: true, requestId };
      });
    },

    async check(requestId, code) {
      if (!isSafeRequestId(requestId)) return fail('expired', 'v2 check malformed request id');
      const c = normalizeCode(code, codeLength);
      if (c === undefined) return fail('wrong-code', 'v2 check malformed code (not sent)');
      return guarded('check', [requestId, c], async (client) => {
        const status: unknown = await client.checkCode(requestId, c);
        if (status === 'completed') return { ok: true };
        return fail('unavailable', 'v2 check unexpected status');
      });
    },

    async resend(requestId) {
      if (!isSafeRequestId(requestId)) return fail('expired', 'v2 resend malformed request id');
      return guarded('resend', [requestId], async (client) => {
        await client.sendPostRequest(`${host}/v2/verify/${requestId}/next_workflow`);
        return { ok: true };
      });
    },

    async cancel(requestId) {
      if (!isSafeRequestId(requestId)) return fail('expired', 'v2 cancel malformed request id');
      return guarded('cancel', [requestId], async (client) => {
        await client.sendDeleteRequest(`${host}/v2/verify/${requestId}`);
        return { ok: true };
      });
    },
  };
}
