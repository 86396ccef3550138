// The one interface the sign-in talks to. Adapters (Verify v2, legacy Verify) translate
// Vonage's wire outcomes into these few failure kinds; `outcome-messages.ts` turns a kind into
// what the user reads and the HTTP status they get.
import type { DeliveryChannel } from './delivery-settings.ts';

export type VerifyFailure =
  | 'wrong-code' // legacy 16, v2 400 invalid code: the user may try again
  | 'too-many-attempts' // legacy 17, v2 410: the request is dead, start over
  | 'expired' // legacy 6, v2 404: not found, expired or already used; v2 409 on cancel ("Expired request")
  | 'concurrent' // legacy 10, v2 409 on start: a request to this number is already running
  | 'invalid-number' // legacy 3 (number), v2 422 on `to`
  | 'unreachable-number' // legacy 15 / 29, v2 403 / 422 destination not permitted
  | 'throttled' // legacy 1, v2 429
  | 'cancel-too-soon' // legacy 19 on cancel (within 30 s of the start)
  | 'no-more-events' // legacy 19 on trigger_next_event, v2 409 on next_workflow
  | 'rejected' // credentials, account barred, quota, bad parameters: our side is misconfigured
  | 'unavailable'; // network error, timeout, 5xx, garbage: try again later

export type VerifyResult<T extends object = object> =
  | ({ ok: true } & T)
  | {
      ok: false;
      failure: VerifyFailure;
      /** With `concurrent`: the request already running to that number, when Vonage names it. */
      requestId?: string;
      /** For the server log only: a short, secret-free description (status codes, problem title). */
      detail?: string;
    };

export interface VerifyClient {
  readonly api: 'v2' | 'legacy';
  /** The channel of each delivery in turn: the first code, then each resend (VERIFY_WORKFLOW). */
  readonly channels: readonly DeliveryChannel[];
  /** Digits in each code (VERIFY_CODE_LENGTH). */
  readonly codeLength: number;
  /**
   * `phone` is E.164 with a leading `+`; adapters send Vonage the bare digits. `email` is where an
   * `email` step goes; without one that step is left out.
   */
  start(phone: string, email?: string): Promise<VerifyResult<{ requestId: string }>>;
  check(requestId: string, code: string): Promise<VerifyResult>;
  /** Moves the request to its next delivery (v2 next_workflow, legacy trigger_next_event). */
  resend(requestId: string): Promise<VerifyResult>;
  cancel(requestId: string): Promise<VerifyResult>;
}
