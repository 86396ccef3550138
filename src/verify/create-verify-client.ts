// Picks the Verify adapter the deployment is configured for. Never throws: missing credentials
// give a client whose every call answers `rejected` with a `… misconfigured: …` detail.

import { createLegacyVerifyClient } from './legacy-adapter.ts';
import { createV2VerifyClient } from './v2-adapter.ts';
import type { VerifyClient } from './verify-client.ts';
import type { VerifyConfig } from '../config.ts';

/** The deployment's Verify settings (see config.ts), once demo mode is ruled out. */
export type CreateVerifyClientOptions = Omit<VerifyConfig, 'api'> & { api: 'v2' | 'legacy' };

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
