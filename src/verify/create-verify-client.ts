// Picks the Verify adapter the deployment is configured for, from settings loadConfig has
// already checked (credentials present, key parsed, host and brand cleaned).

import { createLegacyVerifyClient } from './legacy-adapter.ts';
import { createV2VerifyClient } from './v2-adapter.ts';
import type { VerifyClient } from './verify-client.ts';
import type { VerifyConfig } from '../config.ts';

/** The deployment's Verify settings (see config.ts), once demo mode is ruled out. */
export type CreateVerifyClientOptions = Exclude<VerifyConfig, { api: 'demo' }>;

export function createVerifyClient(opts: CreateVerifyClientOptions): VerifyClient {
  if (opts.api === 'legacy') {
    const { apiKey, apiSecret, apiHost, brand, timeoutMs, delivery } = opts;
    return createLegacyVerifyClient({ apiKey, apiSecret, apiHost, brand, timeoutMs, delivery });
  }
  const { applicationId, privateKey, apiHost, brand, timeoutMs, delivery } = opts;
  return createV2VerifyClient({ applicationId, privateKey, apiHost, brand, timeoutMs, delivery });
}
