// Legacy Verify (v1) as Vonage speaks it: HTTP 200 with a string `status` ("0" = ok) and an
// `error_text` on every failure. Accepts JSON or form bodies, and query parameters, with the
// credentials in a Basic header or as api_key / api_secret parameters.

import { randomBytes } from 'node:crypto';
import {
  advance,
  applyCheck,
  basicCredentials,
  classifyNumber,
  createVerification,
  isLive,
  liveFor,
  type NumberKind,
  type SimReply,
  type SimRequest,
  type SimState,
} from './state.ts';
import { LEGACY_LOCALES } from './vonage-locales.ts';

type Params = Record<string, string>;

const WORKFLOWS: Record<string, string[]> = {
  '1': ['sms', 'tts', 'tts'],
  '2': ['sms', 'sms', 'tts'],
  '3': ['tts', 'tts'],
  '4': ['sms', 'sms'],
  '5': ['sms', 'tts'],
  '6': ['sms'],
  '7': ['tts'],
};

const NOT_ROUTED = 'The Vonage platform was unable to process this message for the following reason: ';

/** What a start answers for the special numbers (see `classifyNumber`), as the spec's examples word it. */
const NUMBER_REFUSALS: Partial<Record<NumberKind, [string, string, Record<string, unknown>?]>> = {
  invalid: ['3', 'Invalid value for param: number'],
  unsupported: ['15', 'The destination number is not in a supported network'],
  blacklisted: ['7', 'The number you are trying to verify is blacklisted for verification.', { network: '99900' }],
  unroutable: ['6', `${NOT_ROUTED}The request could not be routed.`],
  'demo-restricted': [
    '29',
    'Your Vonage account is still in demo mode. While in demo mode you must add target numbers to the approved list for your account. Add funds to your account to remove this limitation.',
  ],
};

function json(body: Record<string, unknown>): SimReply {
  return { status: 200, body, contentType: 'application/json' };
}

function err(status: string, errorText: string, extra: Record<string, unknown> = {}): SimReply {
  return json({ ...extra, status, error_text: errorText });
}

function paramsOf(req: SimRequest): Params {
  const out: Params = {};
  for (const [k, v] of req.query) out[k] = v;
  if (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body)) {
    for (const [k, v] of Object.entries(req.body)) {
      if (v !== undefined && v !== null) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}

function authenticate(state: SimState, req: SimRequest, p: Params, onStart: boolean): SimReply | undefined {
  const [key, secret] = basicCredentials(req) ?? [p.api_key, p.api_secret];
  if (!key) return err('2', 'Your request is incomplete and missing the mandatory parameter `api_key`');
  if (!secret) return err('2', 'Your request is incomplete and missing the mandatory parameter `api_secret`');
  const { apiKey, apiSecret } = state.settings;
  if ((apiKey !== undefined && key !== apiKey) || (apiSecret !== undefined && secret !== apiSecret)) {
    return err('4', onStart ? 'Invalid credentials were provided' : 'Bad credentials');
  }
  return undefined;
}

function missing(p: Params, names: string[]): SimReply | undefined {
  const name = names.find((n) => !p[n]);
  if (name) return err('2', `Your request is incomplete and missing the mandatory parameter \`${name}\``);
  // Vonage's request ids are at most 32 characters: a longer one is a bad value, not an unknown id.
  return (p.request_id?.length ?? 0) > 32 ? err('3', 'Invalid value for param: request_id') : undefined;
}

function start(state: SimState, p: Params): SimReply {
  const m = missing(p, ['number', 'brand']);
  if (m) return m;
  if (p.brand.length > 18) return err('3', 'Invalid value for param: brand');
  const codeLength = p.code_length ?? String(state.settings.codeLength);
  if (codeLength !== '4' && codeLength !== '6') return err('3', 'Invalid value for param: code_length');
  const workflow = WORKFLOWS[p.workflow_id ?? '1'];
  if (!workflow) return err('3', 'Invalid value for param: workflow_id');
  if (p.lg !== undefined && !LEGACY_LOCALES.includes(p.lg)) return err('3', 'Invalid value for param: lg');
  const refusal = NUMBER_REFUSALS[classifyNumber(p.number)];
  if (refusal) return err(...refusal);
  const running = liveFor(state, 'legacy', p.number);
  if (running) {
    return err('10', 'Concurrent verifications to the same number are not allowed', { request_id: running.id });
  }
  const v = createVerification(state, {
    id: randomBytes(16).toString('hex'),
    api: 'legacy',
    to: p.number,
    channels: workflow,
    codeLength: Number(codeLength),
  });
  return json({ request_id: v.id, status: '0' });
}

function check(state: SimState, p: Params): SimReply {
  const m = missing(p, ['request_id', 'code']);
  if (m) return m;
  if (p.code.length < 4 || p.code.length > 6) return err('3', 'Invalid value for param: code');
  const v = state.verifications.get(p.request_id);
  if (!isLive(state, v) || v.api !== 'legacy') {
    return err('6', `${NOT_ROUTED}Request '${p.request_id}' was not found or it has been verified already.`, {
      request_id: p.request_id,
    });
  }
  const outcome = applyCheck(state, v, p.code);
  if (outcome === 'ok') {
    return json({
      request_id: v.id,
      event_id: randomBytes(8).toString('hex').toUpperCase(),
      status: '0',
      price: '0.10000000',
      currency: 'EUR',
      estimated_price_messages_sent: '0.03330000',
    });
  }
  if (outcome === 'too-many') {
    return err('17', 'The wrong code was provided too many times. Request terminated', { request_id: v.id });
  }
  return err('16', 'The code inserted does not match the expected value', { request_id: v.id });
}

function control(state: SimState, p: Params): SimReply {
  const m = missing(p, ['request_id', 'cmd']);
  if (m) return m;
  if (p.cmd !== 'cancel' && p.cmd !== 'trigger_next_event') return err('3', 'Invalid value for param: cmd');
  const v = state.verifications.get(p.request_id);
  if (!isLive(state, v) || v.api !== 'legacy') {
    return err('6', `The requestId '${p.request_id}' does not exist or its no longer active.`);
  }
  if (p.cmd === 'trigger_next_event') {
    if (!advance(state, v)) return err('19', `No more events are left to execute for the request ['${v.id}']`);
    return json({ status: '0', command: 'trigger_next_event' });
  }
  if (state.settings.now() - v.createdAt < state.settings.cancelMinSeconds * 1000) {
    return err('19', `Verification request ['${v.id}'] can't be cancelled within the first ${state.settings.cancelMinSeconds} seconds.`);
  }
  if (v.step > 0) {
    return err('19', `Verification request  ['${v.id}'] can't be cancelled now. Too many attempts to re-deliver have already been made.`);
  }
  v.state = 'cancelled';
  return json({ status: '0', command: 'cancel' });
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function search(state: SimState, p: Params): SimReply {
  const m = missing(p, ['request_id']);
  if (m) return m;
  const v = state.verifications.get(p.request_id);
  if (!v || v.api !== 'legacy') return err('101', 'No response found');
  const live = isLive(state, v);
  const status =
    v.state === 'completed' ? 'SUCCESS' : v.state === 'failed' ? 'FAILED' : v.state === 'cancelled' ? 'CANCELLED' : live ? 'IN PROGRESS' : 'EXPIRED';
  return json({
    request_id: v.id,
    account_id: state.settings.apiKey ?? 'abcdef01',
    number: v.to,
    sender_id: 'verify',
    date_submitted: when(v.createdAt),
    status,
    checks: v.checks.map((c) => ({ date_received: when(c.at), code: c.code, status: c.valid ? 'VALID' : 'INVALID', ip_address: '' })),
    events: v.channels.slice(0, v.step + 1).map((type, i) => ({ id: `${v.id.slice(0, 12)}${i}`, type: type === 'tts' ? 'tts' : 'sms' })),
  });
}

const ROUTES: Record<string, (state: SimState, p: Params) => SimReply> = {
  '/verify/json': start,
  '/verify/check/json': check,
  '/verify/control/json': control,
  '/verify/search/json': search,
};

export function handleLegacy(state: SimState, req: SimRequest): SimReply {
  const route = ROUTES[req.path.replace(/\/+$/, '')];
  if (!route) return { status: 404, body: 'Not Found', contentType: 'text/plain' };
  if (req.method !== 'POST' && req.method !== 'GET') {
    return { status: 405, body: 'Method Not Allowed', contentType: 'text/plain' };
  }
  if (req.bodyInvalid) return err('3', 'Invalid value for param: body');
  const p = paramsOf(req);
  return authenticate(state, req, p, route === start) ?? route(state, p);
}
