// Shared setup: an RSA key pair, credentials, a simulator with a hand-driven clock, and the real
// adapters (real SDK, real HTTP) pointed at it.
import type { DeliverySettings } from '../../src/verify/delivery-settings.ts';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLegacyVerifyClient } from '../../src/verify/legacy-adapter.ts';
import { startVerifySimulator, type VerifySimulator, type VerifySimulatorOptions } from '../../src/verify-simulator/index.ts';
import { createV2VerifyClient } from '../../src/verify/v2-adapter.ts';
import type { VerifyClient, VerifyResult } from '../../src/verify/verify-client.ts';

export function rsaPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export const KEYS = rsaPair();
export const APP_ID = randomUUID();
export const API_KEY = 'a1b2c3d4';
export const API_SECRET = 'Sup3rS3cretValue';
export const PHONE = '+15555550100';
export const DIGITS = '15555550100';
export const BRAND = 'Acme';

export type Api = 'v2' | 'legacy';

export interface Harness {
  sim: VerifySimulator;
  /** The simulator's clock, in ms; move it with `advance`. */
  clock: { now: number; advance(seconds: number): void };
  client(api: Api, overrides?: Partial<ClientOverrides>): VerifyClient;
  /** The HTTP requests the simulator received from index `from` on. */
  requests(from: number): VerifySimulator['requests'];
  close(): Promise<void>;
}

export interface ClientOverrides {
  apiKey: string;
  apiSecret: string;
  applicationId: string;
  privateKey: string;
  timeoutMs: number;
  /** VERIFY_WORKFLOW and friends, as loadConfig makes them (delivery-settings.ts). */
  delivery: DeliverySettings;
}

export async function startHarness(extra: Partial<VerifySimulatorOptions> = {}): Promise<Harness> {
  const clock = {
    now: Date.UTC(2030, 0, 1, 12, 0, 0),
    advance(seconds: number) {
      this.now += seconds * 1000;
    },
  };
  const sim = await startVerifySimulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    applicationId: APP_ID,
    publicKeyPem: KEYS.publicKey,
    slowMs: 2000,
    now: () => clock.now,
    ...extra,
  });
  return {
    sim,
    clock,
    client(api, o = {}) {
      const common = { apiHost: sim.url, brand: BRAND, timeoutMs: o.timeoutMs ?? 2000, delivery: o.delivery };
      return api === 'v2'
        ? createV2VerifyClient({
            ...common,
            applicationId: o.applicationId ?? APP_ID,
            privateKey: o.privateKey ?? KEYS.privateKey,
          })
        : createLegacyVerifyClient({ ...common, apiKey: o.apiKey ?? API_KEY, apiSecret: o.apiSecret ?? API_SECRET });
    },
    requests: (from) => sim.requests.slice(from),
    close: () => sim.close(),
  };
}

/** Narrows a result to success, failing the test with its failure kind otherwise. */
export function expectOk<T extends object>(r: VerifyResult<T>): { ok: true } & T {
  if (!r.ok) throw new Error(`expected ok, got ${r.failure} (${r.detail ?? ''})`);
  return r;
}

export function failureOf(r: VerifyResult): string {
  return r.ok ? 'ok' : r.failure;
}

/** Things that must never appear in a `detail`. */
export function secretsIn(detail: string | undefined, secrets: string[]): string[] {
  const d = (detail ?? '').toLowerCase();
  return secrets.filter((s) => s.length > 0 && d.includes(s.toLowerCase()));
}
