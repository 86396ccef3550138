// Picks the Verify adapter the deployment is configured for. Never throws: missing credentials
// give a client whose every call answers `rejected` with a `… misconfigured: …` detail.

import { createLegacyVerifyClient } from './legacy-adapter.ts';
import { createV2VerifyClient } from './v2-adapter.ts';
import type { VerifyClient } from './verify-client.ts';

export interface CreateVerifyClientOptions {
  api: 'v2' | 'legacy';
  apiHost: string;
  brand: string;
  timeoutMs: number;
  /** legacy only */
  apiKey?: string;
  /** legacy only */
  apiSecret?: string;
  /** v2 only */
  applicationId?: string;
  /** v2 only: PEM text of the application's private key */
  privateKey?: string;
}

export function createVerifyClient(opts: CreateVerifyClientOptions): VerifyClient {
  if (opts.api === 'legacy') {
    return createLegacyVerifyClient({
      apiKey: opts.apiKey ?? '',
      apiSecret: opts.apiSecret ?? '',
      apiHost: opts.apiHost,
      brand: opts.brand,
      timeoutMs: opts.timeoutMs,
    });
  }
  return createV2VerifyClient({
    applicationId: opts.applicationId ?? '',
    privateKey: opts.privateKey ?? '',
    apiHost: opts.apiHost,
    brand: opts.brand,
    timeoutMs: opts.timeoutMs,
  });
}
