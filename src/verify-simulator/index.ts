// A loopback stand-in for Vonage Verify that speaks both wire protocols exactly as the real
// SDKs send them (legacy: /verify/*/json; v2: /v2/verify…), for tests and for demo mode.
// Special numbers (bare digits): see `classifyNumber` in state.ts —
//   '1555' (fewer than 7 digits) or anything with a '+' → invalid number (legacy 3, v2 422);
//   '999…' e.g. '99955550100' → unsupported network (legacy 15, v2 403 non-permitted destination);
//   '99900…' / '99901…' / '99902…' → legacy 7 / 6 / 29 (v2: 403 as above).
// Failure modes (`setFailureMode`): see `SimulatorFailureMode` in state.ts.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { failureReply } from './failures.ts';
import { masked, parseBody, readBody, send } from './http.ts';
import { handleLegacy } from './legacy.ts';
import { handleV2 } from './v2.ts';
import { lastCodeFor, type SentCode, type SimApi, type SimReply, type SimRequest, type SimState, type SimulatorFailureMode } from './state.ts';

export type { SentCode, SimApi, SimulatorFailureMode } from './state.ts';

export interface VerifySimulatorOptions {
  port?: number;
  host?: string;
  /** Legacy (and v2 Basic) credentials; when unset, any non-empty key/secret is accepted. */
  apiKey?: string;
  apiSecret?: string;
  /** When set, v2 JWTs must carry this `application_id` claim. */
  applicationId?: string;
  /** When set, v2 JWTs must be RS256-signed by the matching private key. */
  publicKeyPem?: string;
  /** Code length when the client does not ask for one. */
  codeLength?: 4 | 6;
  expirySeconds?: number;
  maxWrongCodes?: number;
  cancelMinSeconds?: number;
  /** Delay of `slow` mode. */
  slowMs?: number;
  now?: () => number;
  onCode?: (event: { to: string; code: string; channel: string; api: SimApi }) => void;
}

export interface SimHttpRecord {
  at: number;
  method: string;
  path: string;
  api: SimApi | 'unknown';
  auth: 'basic' | 'bearer' | 'none';
  contentType: string;
  /** Parsed body with `api_secret` masked. */
  body: unknown;
  /** What the simulator answered; unset when it never answered (reset, closed). */
  reply?: { status: number; contentType?: string; body: unknown };
}

export interface VerifySimulator {
  url: string;
  sent: SentCode[];
  requests: SimHttpRecord[];
  lastCode(phone: string): string | undefined;
  setFailureMode(mode: SimulatorFailureMode): void;
  /**
   * Test hook: the running request's current step becomes `channel`, as if its workflow had put
   * it there — e.g. 'silent_auth', a step that takes no code (v2 checks then answer 409).
   */
  setCurrentChannel(requestId: string, channel: string): boolean;
  close(): Promise<void>;
}

export async function startVerifySimulator(opts: VerifySimulatorOptions = {}): Promise<VerifySimulator> {
  const state: SimState = {
    settings: {
      apiKey: opts.apiKey,
      apiSecret: opts.apiSecret,
      applicationId: opts.applicationId,
      publicKeyPem: opts.publicKeyPem,
      codeLength: opts.codeLength ?? 4,
      expirySeconds: opts.expirySeconds ?? 300,
      maxWrongCodes: opts.maxWrongCodes ?? 3,
      cancelMinSeconds: opts.cancelMinSeconds ?? 30,
      now: opts.now ?? Date.now,
      onCode: opts.onCode,
    },
    verifications: new Map(),
    sent: [],
  };
  const requests: SimHttpRecord[] = [];
  const slowMs = opts.slowMs ?? 2000;
  const waiting = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  let mode: SimulatorFailureMode = 'normal';
  let closed = false;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const entry = { timer: setTimeout(() => finish(), ms), done: () => finish() };
      function finish(): void {
        clearTimeout(entry.timer);
        waiting.delete(entry);
        resolve();
      }
      waiting.add(entry);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const api: SimApi | 'unknown' = url.pathname.startsWith('/v2/verify')
      ? 'v2'
      : url.pathname.startsWith('/verify/')
        ? 'legacy'
        : 'unknown';
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    const { body, invalid } = parseBody(await readBody(req), contentType);
    const authHeader = String(req.headers.authorization ?? '');
    const record: SimHttpRecord = {
      at: state.settings.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      api,
      auth: /^bearer /i.test(authHeader) ? 'bearer' : /^basic /i.test(authHeader) ? 'basic' : 'none',
      contentType,
      body: masked(body),
    };
    requests.push(record);
    const answer = (reply: SimReply): void => {
      record.reply = { status: reply.status, contentType: reply.contentType, body: reply.body };
      send(res, reply);
    };
    const current = mode;
    if (current === 'reset') {
      req.socket.destroy();
      return;
    }
    if (current === 'slow') await pause(slowMs);
    if (closed) return;
    const failure = failureReply(current, api, record.method, url.pathname);
    if (failure) return answer(failure);
    const simReq: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      bodyInvalid: invalid,
    };
    if (api === 'v2') return answer(handleV2(state, simReq));
    if (api === 'legacy') return answer(handleLegacy(state, simReq));
    answer({ status: 404, contentType: 'text/plain', body: 'Not Found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, contentType: 'text/plain', body: 'Internal Server Error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    sent: state.sent,
    requests,
    lastCode: (phone) => lastCodeFor(state, phone),
    setFailureMode(next) {
      mode = next;
    },
    setCurrentChannel(requestId, channel) {
      const v = state.verifications.get(requestId);
      if (!v) return false;
      v.channels[v.step] = channel;
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const w of [...waiting]) w.done();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}
