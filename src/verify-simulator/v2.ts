// Verify v2 as Vonage speaks it: Bearer JWT (RS256, `application_id` claim) or Basic auth,
// JSON bodies with snake_case keys, errors as application/problem+json {type,title,detail,instance}.

import { createPublicKey, randomUUID, verify as verifySignature, type KeyObject } from 'node:crypto';
import {
  CODELESS_CHANNELS,
  advance,
  applyCheck,
  basicCredentials,
  classifyNumber,
  createVerification,
  header,
  isLive,
  liveFor,
  type SimReply,
  type SimRequest,
  type SimState,
  type SimVerification,
} from './state.ts';
import { V2_LOCALES } from './vonage-locales.ts';
import { invalidStep, type Invalid } from './v2-workflow.ts';

const DOCS = 'https://developer.vonage.com/en/api-errors';
const START_KEYS = new Set(['brand', 'workflow', 'locale', 'channel_timeout', 'client_ref', 'code_length', 'code', 'template_id', 'fraud_check']);

export function problem(status: number, slug: string, title: string, detail: string, extra: Record<string, unknown> = {}): SimReply {
  return {
    status,
    contentType: 'application/problem+json',
    body: { type: slug.startsWith('#') ? `${DOCS}${slug}` : `${DOCS}/verify-v2#${slug}`, title, detail, instance: randomUUID(), ...extra },
  };
}

function invalidParams(params: Invalid[]): SimReply {
  return problem(422, '#invalid-params', 'Invalid params', 'The value of one or more parameters is invalid.', {
    invalid_parameters: params,
  });
}

const unauthorized = (): SimReply =>
  problem(401, '#unauthorized', 'Unauthorized', 'You did not provide correct credentials.');

const notFound = (id: string): SimReply =>
  problem(404, '#not-found', 'Not Found', `Request '${id}' was not found or it has been verified already.`);

/** A v2 request that ended without being verified: too many wrong codes, or its time ran out. */
function endedUnverified(v: SimVerification | undefined): boolean {
  return v !== undefined && v.api === 'v2' && (v.state === 'failed' || v.state === 'active');
}

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

let keyCache: { pem: string; key: KeyObject } | undefined;

/** RS256 signature against the app's public key, `application_id` claim, and `exp` (real clock). */
export function jwtIsValid(token: string, applicationId?: string, publicKeyPem?: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const head = b64json(parts[0]);
  const claims = b64json(parts[1]);
  if (!head || !claims || head.alg !== 'RS256') return false;
  if (publicKeyPem) {
    try {
      if (keyCache?.pem !== publicKeyPem) keyCache = { pem: publicKeyPem, key: createPublicKey(publicKeyPem) };
      const data = Buffer.from(`${parts[0]}.${parts[1]}`);
      if (!verifySignature('RSA-SHA256', data, keyCache.key, Buffer.from(parts[2], 'base64url'))) return false;
    } catch {
      return false;
    }
  }
  if (applicationId !== undefined && claims.application_id !== applicationId) return false;
  const nowSec = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= nowSec) return false;
  return typeof claims.iat !== 'number' || claims.iat <= nowSec + 300;
}

function authorized(state: SimState, req: SimRequest): boolean {
  const { applicationId, publicKeyPem, apiKey, apiSecret } = state.settings;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(req, 'authorization'));
  if (bearer) return jwtIsValid(bearer[1], applicationId, publicKeyPem);
  const basic = basicCredentials(req);
  return basic !== undefined && apiKey !== undefined && basic[0] === apiKey && basic[1] === apiSecret;
}

type StartRequest = { to: string; destinations: string[]; channels: string[]; codeLength: number };

function validateStart(body: Record<string, unknown>, defaultLength: number): Invalid[] | StartRequest {
  const bad: Invalid[] = [];
  for (const k of Object.keys(body)) if (!START_KEYS.has(k)) bad.push({ name: k, reason: 'Unknown parameter' });
  const brand = body.brand;
  if (typeof brand !== 'string' || brand.length < 1 || brand.length > 18 || !/^[^/{}:$]*$/.test(brand)) {
    bad.push({ name: 'brand', reason: typeof brand === 'string' ? 'Invalid brand' : 'Brand is required' });
  }
  const cl = body.code_length ?? defaultLength;
  if (typeof cl !== 'number' || !Number.isInteger(cl) || cl < 4 || cl > 10) bad.push({ name: 'code_length', reason: 'Must be 4-10' });
  if (body.locale !== undefined && (typeof body.locale !== 'string' || !V2_LOCALES.includes(body.locale))) {
    bad.push({ name: 'locale', reason: 'Invalid locale' });
  }
  const ct = body.channel_timeout;
  if (ct !== undefined && (typeof ct !== 'number' || !Number.isInteger(ct) || ct < 15 || ct > 900)) {
    bad.push({ name: 'channel_timeout', reason: 'Must be between 15 and 900' });
  }
  const wf = body.workflow;
  if (!Array.isArray(wf) || wf.length < 1 || wf.length > 3) {
    bad.push({ name: 'workflow', reason: 'Workflow must contain between 1 and 3 steps' });
    return bad;
  }
  const steps = wf.map((s: unknown) => (typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {}));
  steps.forEach((s, i) => bad.push(...invalidStep(s, i)));
  if (bad.length > 0) return bad;
  return { to: String(steps[0].to), destinations: steps.map((s) => String(s.to)), channels: steps.map((s) => String(s.channel)), codeLength: cl as number };
}

function start(state: SimState, req: SimRequest): SimReply {
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalidParams([{ name: 'body', reason: 'A JSON object is required' }]);
  const checked = validateStart(body as Record<string, unknown>, state.settings.codeLength);
  if (Array.isArray(checked)) return invalidParams(checked);
  if (checked.destinations.some((to) => !to.includes('@') && classifyNumber(to) !== 'ok')) {
    return problem(403, '#forbidden', 'Forbidden', 'Non-permitted destination: the destination number is not in a supported network.');
  }
  const running = liveFor(state, 'v2', checked.to);
  if (running) {
    return problem(409, 'conflict', 'Conflict', 'Concurrent verifications to the same number are not allowed.', { request_id: running.id });
  }
  const v = createVerification(state, { id: randomUUID(), api: 'v2', ...checked });
  return { status: 202, contentType: 'application/json', body: { request_id: v.id } };
}

function check(state: SimState, v: SimVerification, req: SimRequest): SimReply {
  const code = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>).code : undefined;
  if (typeof code !== 'string' || code.length < 4 || code.length > 10) {
    return invalidParams([{ name: 'code', reason: 'Code must be a string of 4 to 10 characters' }]);
  }
  if (CODELESS_CHANNELS.has(v.channels[v.step] ?? '')) {
    return problem(409, 'no-code', 'Conflict', 'The current Verify workflow step does not support a code.');
  }
  const outcome = applyCheck(state, v, code);
  if (outcome === 'ok') return { status: 200, contentType: 'application/json', body: { request_id: v.id, status: 'completed' } };
  if (outcome === 'too-many') {
    return problem(410, 'expired', 'Invalid Code', 'An incorrect code has been provided too many times. Workflow terminated.');
  }
  return problem(400, 'invalid-code', 'Invalid Code', 'The code you provided does not match the expected value.');
}

export function handleV2(state: SimState, req: SimRequest): SimReply {
  const m = /^\/v2\/verify(?:\/([^/]+))?(\/next_workflow)?\/?$/.exec(req.path);
  if (!m || m[1] === 'templates') return problem(404, '#not-found', 'Not Found', 'The requested resource does not exist.');
  if (!authorized(state, req)) return unauthorized();
  if (req.bodyInvalid) return problem(400, '#invalid-json', 'Invalid JSON', 'The request body did not contain valid JSON.');
  const [, rawId, next] = m;
  let id: string | undefined;
  try {
    id = rawId === undefined ? undefined : decodeURIComponent(rawId);
  } catch {
    return notFound(rawId ?? '');
  }
  const allowed = id && !next ? ['POST', 'DELETE'] : ['POST'];
  if (!allowed.includes(req.method)) return problem(405, '#wrong-verb', 'Method Not Allowed', `${req.method} is not supported here.`);
  if (!id) return start(state, req);
  const v = state.verifications.get(id);
  if (!isLive(state, v) || v.api !== 'v2') {
    // Cancel tells "ended unverified" (409) from "unknown, verified or cancelled" (404).
    if (req.method === 'DELETE' && !next && endedUnverified(v)) {
      return problem(409, 'expired', 'Conflict', 'The verification request has already expired or failed and cannot be cancelled.');
    }
    return notFound(id);
  }
  if (next) {
    if (!advance(state, v)) return problem(409, 'no-events', 'Conflict', 'There are no more events left to trigger.');
    return { status: 200 };
  }
  if (req.method === 'DELETE') {
    v.state = 'cancelled';
    return { status: 204 };
  }
  return check(state, v, req);
}
