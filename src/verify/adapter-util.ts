// Helpers shared by the two Vonage adapters. Nothing here logs, and nothing here ever puts an
// error object, a header, a request ID or a code into a string that leaves the adapter.

import { STATUS_CODES } from 'node:http';
import type { VerifyFailure, VerifyResult } from './verify-client.ts';

export type VerifyOp = 'start' | 'check' | 'resend' | 'cancel';

export type Failure = Extract<VerifyResult, { ok: false }>;

export function fail(failure: VerifyFailure, detail: string, requestId?: string): Failure {
  return requestId ? { ok: false, failure, requestId, detail } : { ok: false, failure, detail };
}

/** '+1 (555) 555-0100' → '15555550100'. Vonage wants the bare E.164 digits, no '+' or '00'. */
export function toDigits(phone: unknown): string {
  return typeof phone === 'string' ? phone.replace(/\D/g, '') : '';
}

/** Request IDs we hand back to Vonage (v2 puts them in the URL path): UUIDs or 32 hex chars. */
export function isSafeRequestId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(id);
}

/** Status code plus its standard reason phrase, never the server's own wording. */
export function statusText(status: number): string {
  const phrase = STATUS_CODES[status];
  return phrase ? `${status} ${phrase}` : String(status);
}

/** The SDK throws VetchError with the unread fetch Response attached; duck-type it. */
export function responseOf(err: unknown): Response | undefined {
  if (typeof err !== 'object' || err === null || !('response' in err)) return undefined;
  const r = (err as { response: unknown }).response;
  return typeof Response !== 'undefined' && r instanceof Response ? r : undefined;
}

export function isTimeout(err: unknown): boolean {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** Node's fetch rejects with TypeError('fetch failed') and a `cause` on connection problems. */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  return err.message === 'fetch failed' || 'cause' in err;
}

/** A short, secret-free reason for anything that was not an HTTP answer. */
export function thrownDetail(prefix: string, err: unknown): string {
  if (isTimeout(err)) return `${prefix} timeout`;
  if (isNetworkError(err)) return `${prefix} network error`;
  if (err instanceof SyntaxError || err instanceof TypeError) return `${prefix} unparsable response`;
  return `${prefix} client error`;
}

const MAX_ERROR_BODY = 16 * 1024;

/**
 * Reads an error response's body as JSON without ever throwing or hanging: bounded in time
 * (the SDK's abort timer is already cleared by then) and in size. Garbage → undefined.
 */
export async function readJsonBody(response: Response, timeoutMs: number): Promise<unknown> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    if (response.bodyUsed || !response.body) return undefined;
    reader = response.body.getReader();
  } catch {
    return undefined;
  }
  const r = reader;
  const read = async (): Promise<unknown> => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_ERROR_BODY) return undefined;
      chunks.push(value);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return text.length === 0 ? undefined : (JSON.parse(text) as unknown);
  };
  const body = await withDeadline(read().catch(() => undefined), Math.max(50, timeoutMs), () => undefined);
  // Done, oversized or late: release the stream so the socket is not held open.
  r.cancel().catch(() => undefined);
  return body;
}

/**
 * Resolves to `fallback()` if `work` has not settled after `ms`. The SDK has its own abort timer;
 * this is the backstop that keeps a method from hanging on anything else.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
    timer.unref?.();
  });
  work.catch(() => undefined); // a late rejection must never become an unhandled one
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short slug from a problem+json `type` URL ('…/verify-v2#invalid-code' → 'invalid-code'). */
export function problemSlug(body: unknown, forbidden: string[]): string | undefined {
  if (!isRecord(body) || typeof body.type !== 'string') return undefined;
  const slug = body.type.split('#').pop() ?? '';
  if (!/^[a-z][a-z-]{1,39}$/.test(slug)) return undefined;
  return forbidden.some((s) => s.length > 0 && slug.includes(s)) ? undefined : slug;
}

/** Every human-readable string in a problem body, lower-cased, for keyword matching only. */
export function problemText(body: unknown): string {
  if (!isRecord(body)) return '';
  const parts: string[] = [];
  for (const key of ['type', 'title', 'detail', 'error_text']) {
    if (typeof body[key] === 'string') parts.push(body[key] as string);
  }
  if (Array.isArray(body.invalid_parameters)) {
    for (const p of body.invalid_parameters) {
      if (isRecord(p)) parts.push(`param ${String(p.name ?? '')}: ${String(p.reason ?? '')}`);
    }
  }
  return parts.join(' | ').toLowerCase().slice(0, 4000);
}
