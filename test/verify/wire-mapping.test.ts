// Every Vonage answer the adapters map, driven through the real SDK over real HTTP by a scripted
// server: statuses the simulator never produces (402, 429, 5xx, legacy 1/5/7/…), odd bodies,
// and an error body that never finishes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyVerifyClient } from '../../src/verify/legacy-adapter.ts';
import { createV2VerifyClient } from '../../src/verify/v2-adapter.ts';
import type { VerifyClient, VerifyResult } from '../../src/verify/verify-client.ts';
import { API_KEY, API_SECRET, APP_ID, KEYS, PHONE, secretsIn } from './helpers.ts';

interface Scripted {
  status: number;
  body?: unknown;
  type?: string;
  /** Send the headers, then never finish the body. */
  hang?: boolean;
}

let next: Scripted = { status: 500 };
let seen: { method: string; url: string; auth: string; body: string }[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', auth: String(req.headers.authorization ?? ''), body });
    const s = next;
    const text = s.body === undefined ? '' : typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
    if (s.hang) {
      res.writeHead(s.status, { 'content-type': s.type ?? 'application/problem+json' });
      res.write(text.slice(0, 5));
      return;
    }
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(text) };
    if (text) headers['content-type'] = s.type ?? (s.status >= 400 ? 'application/problem+json' : 'application/json');
    res.writeHead(s.status, headers);
    res.end(text);
  });
});

let v2: VerifyClient;
let legacy: VerifyClient;
const ID2 = '0e4f5a8c-1b2d-4c3e-9f10-a1b2c3d4e5f6';
const ID1 = '0123456789abcdef0123456789abcdef';
const details: string[] = [];

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  v2 = createV2VerifyClient({ applicationId: APP_ID, privateKey: KEYS.privateKey, apiHost: url, brand: 'Acme', timeoutMs: 400 });
  legacy = createLegacyVerifyClient({ apiKey: API_KEY, apiSecret: API_SECRET, apiHost: url, brand: 'Acme', timeoutMs: 400 });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  const leaks = details.flatMap((d) => secretsIn(d, [ID1, ID2, API_SECRET, 'Bearer', 'Basic', 'eyJ', 'secret-ish']));
  expect(leaks).toEqual([]);
});

function outcome(r: VerifyResult): string {
  if (!r.ok) details.push(r.detail ?? '');
  return r.ok ? 'ok' : r.requestId ? `${r.failure}:${r.requestId}` : r.failure;
}

const p = (title: string, detail: string, extra: object = {}) => ({
  type: 'https://developer.vonage.com/en/api-errors/verify-v2#thing',
  title,
  detail,
  instance: 'c2f0b1e8-0000-4000-8000-000000000000',
  ...extra,
});

describe('v2 answers', () => {
  const cases: [string, 'start' | 'check' | 'resend' | 'cancel', Scripted, string][] = [
    ['202', 'start', { status: 202, body: { request_id: ID2 } }, `ok`],
    ['202 without request_id', 'start', { status: 202, body: { requestId: ID2 } }, 'unavailable'],
    ['202 with an unsafe request_id', 'start', { status: 202, body: { request_id: '../x y' } }, 'unavailable'],
    ['202 as text', 'start', { status: 202, body: 'accepted', type: 'text/plain' }, 'unavailable'],
    ['400 on start', 'start', { status: 400, body: p('Bad Request', 'x') }, 'rejected'],
    ['401', 'start', { status: 401, body: p('Unauthorized', 'You did not provide correct credentials.') }, 'rejected'],
    ['402', 'start', { status: 402, body: p('Low balance', 'low balance') }, 'rejected'],
    ['403 plain', 'start', { status: 403, body: p('Forbidden', 'Your account does not have permission') }, 'rejected'],
    ['403 destination', 'start', { status: 403, body: p('Forbidden', 'Non-Permitted Destination') }, 'unreachable-number'],
    ['404 on start', 'start', { status: 404, body: p('Not Found', 'x') }, 'rejected'],
    ['409 with id', 'start', { status: 409, body: p('Conflict', 'Concurrent verifications to the same number are not allowed.', { request_id: ID2 }) }, `concurrent:${ID2}`],
    ['409 without body', 'start', { status: 409 }, 'concurrent'],
    ['409 with garbage', 'start', { status: 409, body: '<html>', type: 'application/problem+json' }, 'concurrent'],
    ['422 on to', 'start', { status: 422, body: p('Invalid params', 'The value of one or more parameters is invalid.', { invalid_parameters: [{ name: 'workflow[0].to', reason: 'Invalid' }] }) }, 'invalid-number'],
    ['422 on number text', 'start', { status: 422, body: p('Invalid params', 'Invalid phone number') }, 'invalid-number'],
    ['422 on brand', 'start', { status: 422, body: p('Invalid params', 'The value of one or more parameters is invalid.', { invalid_parameters: [{ name: 'brand', reason: 'Brand is required' }] }) }, 'rejected'],
    ['422 network', 'start', { status: 422, body: p('Invalid params', 'Network not supported') }, 'unreachable-number'],
    ['429', 'start', { status: 429, body: p('Rate Limit Hit', 'Please wait, then retry your request') }, 'throttled'],
    ['500', 'start', { status: 500, body: p('Internal error', 'x') }, 'unavailable'],
    ['502 html', 'start', { status: 502, body: '<html>bad gateway</html>', type: 'text/html' }, 'unavailable'],
    ['200 completed', 'check', { status: 200, body: { request_id: ID2, status: 'completed' } }, 'ok'],
    ['200 other status', 'check', { status: 200, body: { request_id: ID2, status: 'failed' } }, 'unavailable'],
    ['200 empty', 'check', { status: 200 }, 'unavailable'],
    ['400', 'check', { status: 400, body: p('Invalid Code', 'The code you provided does not match the expected value.') }, 'wrong-code'],
    ['404', 'check', { status: 404, body: p('Not Found', `Request '${ID2}' was not found`) }, 'expired'],
    ['409 no code step', 'check', { status: 409, body: p('Conflict', 'The current Verify workflow step does not support a code.') }, 'expired'],
    ['410', 'check', { status: 410, body: p('Invalid Code', 'An incorrect code has been provided too many times.') }, 'too-many-attempts'],
    ['422 on code', 'check', { status: 422, body: p('Invalid params', 'x', { invalid_parameters: [{ name: 'code', reason: 'too long' }] }) }, 'wrong-code'],
    ['429', 'check', { status: 429 }, 'throttled'],
    ['503', 'check', { status: 503 }, 'unavailable'],
    ['400 whose body never ends', 'check', { status: 400, body: p('Invalid Code', 'x'), hang: true }, 'wrong-code'],
    ['200', 'resend', { status: 200 }, 'ok'],
    ['409', 'resend', { status: 409, body: p('Conflict', 'There are no more workflows') }, 'no-more-events'],
    ['409 replication delay', 'resend', { status: 409, body: p('Conflict', 'The operation cannot be performed at this time. Please try again later.') }, 'unavailable'],
    ['404', 'resend', { status: 404 }, 'expired'],
    ['204', 'cancel', { status: 204 }, 'ok'],
    ['404', 'cancel', { status: 404 }, 'expired'],
    ['409', 'cancel', { status: 409 }, 'expired'],
    ['401', 'cancel', { status: 401 }, 'rejected'],
  ];
  it.each(cases)('%s on %s', async (_name, op, scripted, expected) => {
    next = scripted;
    seen = [];
    const t0 = performance.now();
    const r =
      op === 'start' ? await v2.start(PHONE) : op === 'check' ? await v2.check(ID2, '123456') : op === 'resend' ? await v2.resend(ID2) : await v2.cancel(ID2);
    expect(outcome(r)).toBe(expected);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(seen).toHaveLength(1);
    expect(seen[0].auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const wanted = { start: ['POST', '/v2/verify'], check: ['POST', `/v2/verify/${ID2}`], resend: ['POST', `/v2/verify/${ID2}/next_workflow`], cancel: ['DELETE', `/v2/verify/${ID2}`] }[op];
    expect([seen[0].method, seen[0].url]).toEqual(wanted);
    if (op === 'check') expect(JSON.parse(seen[0].body)).toEqual({ code: '123456' });
  });
});

describe('legacy answers', () => {
  const s = (status: string | number, extra: object = {}): Scripted => ({ status: 200, body: { status, ...extra } });
  const cases: [string, 'start' | 'check' | 'resend' | 'cancel', Scripted, string][] = [
    ['0', 'start', s('0', { request_id: ID1 }), 'ok'],
    ['numeric 0', 'start', s(0, { request_id: ID1 }), 'ok'],
    ['0 without request_id', 'start', s('0'), 'unavailable'],
    ['1', 'start', s('1', { error_text: 'Throttled' }), 'throttled'],
    ['2', 'start', s('2', { error_text: 'Missing brand' }), 'rejected'],
    ['3 number', 'start', s('3', { error_text: 'Invalid value for number' }), 'invalid-number'],
    ['3 other', 'start', s('3', { error_text: 'Invalid value for param: brand' }), 'rejected'],
    ['4', 'start', s('4', { error_text: 'Invalid credentials were provided' }), 'rejected'],
    ['5', 'start', s('5', { error_text: 'Internal Error' }), 'unavailable'],
    ['6', 'start', s('6', { error_text: 'The request could not be routed.' }), 'unreachable-number'],
    ['7', 'start', s('7', { error_text: 'blacklisted', network: '244523' }), 'rejected'],
    ['8', 'start', s('8'), 'rejected'],
    ['9', 'start', s('9'), 'rejected'],
    ['10', 'start', s('10', { request_id: ID1, error_text: `Concurrent verifications … ${ID1}` }), `concurrent:${ID1}`],
    ['10 blank id', 'start', s('10', { request_id: '' }), 'concurrent'],
    ['15', 'start', s('15'), 'unreachable-number'],
    ['20', 'start', s('20'), 'rejected'],
    ['29', 'start', s('29'), 'unreachable-number'],
    ['unknown 42', 'start', s('42'), 'unavailable'],
    ['no status', 'start', { status: 200, body: { request_id: ID1 } }, 'unavailable'],
    ['HTML 200', 'start', { status: 200, body: '<html>hi</html>', type: 'text/html' }, 'unavailable'],
    ['HTTP 401', 'start', { status: 401, body: 'no', type: 'text/plain' }, 'rejected'],
    ['HTTP 429', 'start', { status: 429 }, 'throttled'],
    ['HTTP 500', 'start', { status: 500, body: { status: '0', request_id: ID1 } }, 'unavailable'],
    ['0', 'check', s('0', { request_id: ID1, event_id: 'x', price: '0.1', currency: 'EUR' }), 'ok'],
    ['6', 'check', s('6', { error_text: `Request '${ID1}' was not found or it has been verified already.` }), 'expired'],
    ['16', 'check', s('16'), 'wrong-code'],
    ['17', 'check', s('17'), 'too-many-attempts'],
    ['3 request_id', 'check', s('3', { error_text: 'Invalid value for param: request_id' }), 'expired'],
    ['0', 'cancel', s('0', { command: 'cancel' }), 'ok'],
    ['19', 'cancel', s('19', { error_text: `can't be cancelled within the first 30 seconds. ['${ID1}']` }), 'cancel-too-soon'],
    ['6', 'cancel', s('6'), 'expired'],
    ['0', 'resend', s('0', { command: 'trigger_next_event' }), 'ok'],
    ['19', 'resend', s('19', { error_text: 'No more events are left to execute' }), 'no-more-events'],
  ];
  it.each(cases)('%s on %s', async (_name, op, scripted, expected) => {
    next = scripted;
    seen = [];
    const r =
      op === 'start' ? await legacy.start(PHONE) : op === 'check' ? await legacy.check(ID1, '123456') : op === 'resend' ? await legacy.resend(ID1) : await legacy.cancel(ID1);
    expect(outcome(r)).toBe(expected);
    expect(seen).toHaveLength(1);
    expect(seen[0].auth).toBe(`Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`);
    const wanted = {
      start: ['/verify/json', { number: PHONE.slice(1), brand: 'Acme', code_length: 6, lg: 'en-us', workflow_id: 5 }],
      check: ['/verify/check/json', { request_id: ID1, code: '123456' }],
      resend: ['/verify/control/json', { request_id: ID1, cmd: 'trigger_next_event' }],
      cancel: ['/verify/control/json', { request_id: ID1, cmd: 'cancel' }],
    }[op];
    expect([seen[0].url, JSON.parse(seen[0].body)]).toEqual(wanted);
  });
});
