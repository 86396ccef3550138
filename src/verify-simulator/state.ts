// State shared by the simulator's two protocol handlers: verification requests, sent codes,
// the special phone numbers, and the request/response shapes the HTTP layer passes around.

import { randomInt } from 'node:crypto';

export type SimApi = 'v2' | 'legacy';

/**
 * normal; down → 503; reset → socket destroyed, no answer; slow → answers after `slowMs`;
 * garbage → 200 with a non-JSON body labelled JSON; garbage-json → 200 JSON of the wrong shape.
 * Documented refusals (canned bodies in failures.ts): throttled → v2 429 / legacy status 1 on
 * every call; internal-error → v2 500 / legacy status 5 on every call; low-balance → v2 402 /
 * legacy status 9 and barred → v2 403 / legacy status 8, both only on calls that send something
 * (start, v2 next_workflow, legacy control).
 */
export type SimulatorFailureMode =
  | 'normal'
  | 'down'
  | 'slow'
  | 'garbage'
  | 'garbage-json'
  | 'reset'
  | 'throttled'
  | 'internal-error'
  | 'low-balance'
  | 'barred';

/** v2 channels whose step takes no code: a check while one runs answers 409 (`no-code`). */
export const CODELESS_CHANNELS: ReadonlySet<string> = new Set(['silent_auth', 'whatsapp_interactive']);

export interface SentCode {
  requestId: string;
  /** Bare digits, as Vonage received them (an email address for an `email` step). */
  to: string;
  code: string;
  channel: string;
  api: SimApi;
  at: number;
}

export interface SimVerification {
  id: string;
  api: SimApi;
  to: string;
  code: string;
  channels: string[];
  /** Where each step goes: a phone's digits, or an email address for an `email` step. */
  destinations: string[];
  /** Index into `channels` of the last delivery made. */
  step: number;
  createdAt: number;
  expiresAt: number;
  wrongCodes: number;
  state: 'active' | 'completed' | 'failed' | 'cancelled';
  checks: { at: number; code: string; valid: boolean }[];
}

export interface SimSettings {
  apiKey?: string;
  apiSecret?: string;
  applicationId?: string;
  publicKeyPem?: string;
  codeLength: number;
  expirySeconds: number;
  maxWrongCodes: number;
  cancelMinSeconds: number;
  now: () => number;
  onCode?: (event: { to: string; code: string; channel: string; api: SimApi }) => void;
}

export interface SimState {
  settings: SimSettings;
  verifications: Map<string, SimVerification>;
  sent: SentCode[];
}

/** What the HTTP layer hands a protocol handler. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON or form body; `undefined` when empty. */
  body: unknown;
  /** The body was present but could not be parsed. */
  bodyInvalid: boolean;
}

/** What a handler answers; the HTTP layer serialises it. `body: undefined` → no body. */
export interface SimReply {
  status: number;
  body?: unknown;
  contentType?: string;
}

export type NumberKind = 'ok' | 'invalid' | 'unsupported' | 'blacklisted' | 'unroutable' | 'demo-restricted';

/**
 * Special numbers (bare digits, as sent to Vonage), all under 999 (no such country code):
 *  - not 7–15 digits, a leading 0, or anything but digits (e.g. '1555', '+15555550100') → invalid
 *  - '99900…' blacklisted (legacy 7), '99901…' unroutable (legacy 6), '99902…' demo-mode
 *    destination (legacy 29); any other '999…', e.g. '99955550100' → unsupported network (legacy
 *    15). v2 documents none of these: it answers 403 non-permitted destination for all of them.
 * Everything else is deliverable.
 */
export function classifyNumber(n: unknown): NumberKind {
  if (typeof n !== 'string' || !/^[1-9]\d{6,14}$/.test(n)) return 'invalid';
  if (!n.startsWith('999')) return 'ok';
  const special: Record<string, NumberKind> = { '99900': 'blacklisted', '99901': 'unroutable', '99902': 'demo-restricted' };
  return special[n.slice(0, 5)] ?? 'unsupported';
}

export function isLive(state: SimState, v: SimVerification | undefined): v is SimVerification {
  return v !== undefined && v.state === 'active' && state.settings.now() < v.expiresAt;
}

export function liveFor(state: SimState, api: SimApi, to: string): SimVerification | undefined {
  for (const v of state.verifications.values()) {
    if (v.api === api && v.to === to && isLive(state, v)) return v;
  }
  return undefined;
}

function deliver(state: SimState, v: SimVerification): void {
  const channel = v.channels[v.step] ?? 'sms';
  const to = v.destinations[v.step] ?? v.to;
  state.sent.push({ requestId: v.id, to, code: v.code, channel, api: v.api, at: state.settings.now() });
  try {
    state.settings.onCode?.({ to, code: v.code, channel, api: v.api });
  } catch {
    // a failing demo printer must not break the simulated service
  }
}

export function createVerification(
  state: SimState,
  init: { id: string; api: SimApi; to: string; channels: string[]; destinations?: string[]; codeLength: number },
): SimVerification {
  const now = state.settings.now();
  const code = String(randomInt(0, 10 ** init.codeLength)).padStart(init.codeLength, '0');
  const v: SimVerification = {
    ...init,
    destinations: init.destinations ?? init.channels.map(() => init.to),
    code,
    step: 0,
    createdAt: now,
    expiresAt: now + state.settings.expirySeconds * 1000,
    wrongCodes: 0,
    state: 'active',
    checks: [],
  };
  state.verifications.set(v.id, v);
  deliver(state, v);
  return v;
}

/** Moves to the next channel and re-sends the same code; false when none is left. */
export function advance(state: SimState, v: SimVerification): boolean {
  if (v.step + 1 >= v.channels.length) return false;
  v.step += 1;
  deliver(state, v);
  return true;
}

export type CheckOutcome = 'ok' | 'wrong' | 'too-many';

/** Applies one code check to a live request: the Nth wrong code (N = maxWrongCodes) kills it. */
export function applyCheck(state: SimState, v: SimVerification, code: string): CheckOutcome {
  const valid = code === v.code;
  v.checks.push({ at: state.settings.now(), code, valid });
  if (valid) {
    v.state = 'completed';
    return 'ok';
  }
  v.wrongCodes += 1;
  if (v.wrongCodes >= state.settings.maxWrongCodes) {
    v.state = 'failed';
    return 'too-many';
  }
  return 'wrong';
}

/** The last code sent to a phone (any form of its digits) or an email address. */
export function lastCodeFor(state: SimState, phone: string): string | undefined {
  const to = phone.includes('@') ? phone : phone.replace(/\D/g, '');
  for (let i = state.sent.length - 1; i >= 0; i--) {
    if (state.sent[i].to === to) return state.sent[i].code;
  }
  return undefined;
}

export function header(req: SimRequest, name: string): string {
  const h = req.headers[name];
  return Array.isArray(h) ? (h[0] ?? '') : (h ?? '');
}

/** `Basic base64(user:pass)` → [user, pass]; anything else → undefined. */
export function basicCredentials(req: SimRequest): [string, string] | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header(req, 'authorization'));
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : [decoded.slice(0, i), decoded.slice(i + 1)];
}
