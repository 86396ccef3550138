// The simulator's own wire protocol, driven with plain fetch: what it accepts, what it refuses,
// and how it answers — so the adapter tests above are tested against something Vonage-shaped.
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVerifySimulator, type VerifySimulator } from '../../src/verify-simulator/index.ts';
import { API_KEY, API_SECRET, APP_ID, KEYS, rsaPair } from './helpers.ts';

function jwt(claims: Record<string, unknown>, privateKey = KEYS.privateKey): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'RS256', typ: 'JWT' });
  const now = Math.floor(Date.now() / 1000);
  const body = enc({ application_id: APP_ID, iat: now, exp: now + 900, jti: randomUUID(), ...claims });
  const sig = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), createPrivateKey(privateKey)).toString('base64url');
  return `${head}.${body}.${sig}`;
}

const basic = `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`;
let sim: VerifySimulator;
const codes: { to: string; code: string; channel: string; api: string }[] = [];

async function call(method: string, path: string, body?: unknown, auth?: string, type = 'application/json') {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': type } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  sim = await startVerifySimulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    applicationId: APP_ID,
    publicKeyPem: KEYS.publicKey,
    onCode: (e) => codes.push(e),
  });
});
afterAll(async () => {
  await sim.close();
});

const workflow = (to: string) => [{ channel: 'sms', to }];

describe('v2', () => {
  it('refuses missing, foreign-signed, wrong-application and expired JWTs with a 401 problem', async () => {
    const body = { brand: 'Acme', workflow: workflow('447700900001') };
    const bad = [
      undefined,
      'Bearer nonsense',
      `Bearer ${jwt({}, rsaPair().privateKey)}`,
      `Bearer ${jwt({ application_id: randomUUID() })}`,
      `Bearer ${jwt({ exp: Math.floor(Date.now() / 1000) - 5 })}`,
    ];
    for (const auth of bad) {
      const r = await call('POST', '/v2/verify', body, auth);
      expect(r.status).toBe(401);
      expect(r.type).toBe('application/problem+json');
      expect(Object.keys(r.json).sort()).toEqual(['detail', 'instance', 'title', 'type']);
    }
    expect(codes).toHaveLength(0);
  });

  it('starts with a valid JWT: 202 {request_id}, and sends a code', async () => {
    const r = await call('POST', '/v2/verify', { brand: 'Acme', workflow: workflow('447700900001') }, `Bearer ${jwt({})}`);
    expect(r.status).toBe(202);
    expect(Object.keys(r.json)).toEqual(['request_id']);
    expect(codes.at(-1)).toEqual({ to: '447700900001', code: sim.lastCode('+447700900001'), channel: 'sms', api: 'v2' });
    expect(sim.lastCode('447700900001')).toMatch(/^\d{4}$/); // default code length 4, as Vonage's
    const again = await call('POST', '/v2/verify', { brand: 'Acme', workflow: workflow('447700900001') }, `Bearer ${jwt({})}`);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ title: 'Conflict', request_id: r.json.request_id });
  });

  it('rejects camelCase keys, a leading +, bad brands and empty workflows with 422 invalid_parameters', async () => {
    const auth = `Bearer ${jwt({})}`;
    const cases: [unknown, string][] = [
      [{ brand: 'Acme', codeLength: 6, workflow: workflow('447700900002') }, 'codeLength'],
      [{ brand: 'Acme', workflow: workflow('+447700900002') }, 'workflow[0].to'],
      [{ brand: 'Ac/me', workflow: workflow('447700900002') }, 'brand'],
      [{ brand: 'Acme', workflow: [] }, 'workflow'],
      [{ brand: 'Acme', channel_timeout: 5, workflow: workflow('447700900002') }, 'channel_timeout'],
    ];
    for (const [body, name] of cases) {
      const r = await call('POST', '/v2/verify', body, auth);
      expect(r.status).toBe(422);
      expect(r.json.invalid_parameters.map((p: { name: string }) => p.name)).toContain(name);
    }
  });

  it('accepts Basic auth with the account key and secret', async () => {
    const r = await call('POST', '/v2/verify', { brand: 'Acme', workflow: workflow('447700900003') }, basic);
    expect(r.status).toBe(202);
    const wrong = await call('POST', '/v2/verify', { brand: 'Acme', workflow: workflow('447700900004') }, `Basic ${Buffer.from(`${API_KEY}:nope`).toString('base64')}`);
    expect(wrong.status).toBe(401);
  });
});

describe('legacy', () => {
  it('takes credentials in a form body, answers with string statuses and error_text', async () => {
    const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
    const type = 'application/x-www-form-urlencoded';
    const ok = await call('POST', '/verify/json', form({ api_key: API_KEY, api_secret: API_SECRET, number: '447700900010', brand: 'Acme' }), undefined, type);
    expect(ok.json).toEqual({ request_id: expect.stringMatching(/^[0-9a-f]{32}$/), status: '0' });
    const missing = await call('POST', '/verify/json', form({ api_key: API_KEY, number: '447700900011', brand: 'Acme' }), undefined, type);
    expect(missing.json).toMatchObject({ status: '2', error_text: expect.stringContaining('api_secret') });
    const bad = await call('POST', '/verify/json', form({ api_key: API_KEY, api_secret: 'x', number: '447700900011', brand: 'Acme' }), undefined, type);
    expect(bad.json).toEqual({ status: '4', error_text: 'Invalid credentials were provided' });
    const concurrent = await call('POST', '/verify/json', { number: '447700900010', brand: 'Acme' }, basic);
    expect(concurrent.json).toEqual({ request_id: ok.json.request_id, status: '10', error_text: 'Concurrent verifications to the same number are not allowed' });
    const noBrand = await call('POST', '/verify/json', { number: '447700900012' }, basic);
    expect(noBrand.json).toMatchObject({ status: '2', error_text: expect.stringContaining('brand') });
    expect(sim.requests.at(-5)?.body).toMatchObject({ api_secret: '***' }); // never recorded in clear
  });

  it('refuses to cancel in the first 30 s, like Vonage, and reports search status', async () => {
    const start = await call('POST', '/verify/json', { number: '447700900020', brand: 'Acme', code_length: 6 }, basic);
    const id = start.json.request_id as string;
    expect(sim.lastCode('447700900020')).toMatch(/^\d{6}$/);
    const cancel = await call('POST', '/verify/control/json', { request_id: id, cmd: 'cancel' }, basic);
    expect(cancel.json).toEqual({ status: '19', error_text: `Verification request ['${id}'] can't be cancelled within the first 30 seconds.` });
    const check = await call('POST', '/verify/check/json', { request_id: id, code: sim.lastCode('447700900020') }, basic);
    expect(check.json).toMatchObject({ request_id: id, status: '0', currency: 'EUR' });
    const search = await call('GET', `/verify/search/json?request_id=${id}`, undefined, basic);
    expect(search.json).toMatchObject({ request_id: id, status: 'SUCCESS', number: '447700900020' });
    const unknownCheck = await call('POST', '/verify/check/json', { request_id: id, code: '000000' }, basic);
    expect(unknownCheck.json).toMatchObject({ status: '6', error_text: expect.stringContaining('was not found') });
  });
});

describe('failure modes and shutdown', () => {
  it('down answers 503, garbage answers 200 with a body that is not JSON', async () => {
    sim.setFailureMode('down');
    expect((await fetch(`${sim.url}/verify/json`, { method: 'POST' })).status).toBe(503);
    sim.setFailureMode('garbage');
    const g = await fetch(`${sim.url}/v2/verify`, { method: 'POST' });
    expect(g.status).toBe(200);
    await expect(g.json()).rejects.toThrow();
    sim.setFailureMode('normal');
  });

  it('close() does not wait for a slow answer still pending', async () => {
    const own = await startVerifySimulator({ slowMs: 60_000 });
    own.setFailureMode('slow');
    const pending = fetch(`${own.url}/verify/json`, { method: 'POST' }).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await own.close();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await pending).toBe('failed');
  });
});
