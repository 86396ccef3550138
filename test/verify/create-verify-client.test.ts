import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifyClient } from '../../src/verify/create-verify-client.ts';
import { DEFAULT_DELIVERY as delivery } from '../../src/verify/delivery-settings.ts';
import { API_KEY, API_SECRET, APP_ID, KEYS, PHONE, startHarness, type Harness } from './helpers.ts';

describe('createVerifyClient', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('builds the v2 adapter, which talks JWT to /v2/verify', async () => {
    const client = createVerifyClient({ api: 'v2', apiHost: h.sim.url, brand: 'Acme', timeoutMs: 2000, applicationId: APP_ID, privateKey: KEYS.privateKey, delivery });
    expect(client.api).toBe('v2');
    const r = await client.start(PHONE);
    expect(r.ok).toBe(true);
    expect(h.sim.requests.at(-1)).toMatchObject({ path: '/v2/verify', auth: 'bearer' });
  });

  it('builds the legacy adapter, which talks Basic auth to /verify/json', async () => {
    const client = createVerifyClient({ api: 'legacy', apiHost: h.sim.url, brand: 'Acme', timeoutMs: 2000, apiKey: API_KEY, apiSecret: API_SECRET, delivery });
    expect(client.api).toBe('legacy');
    const r = await client.start(PHONE);
    expect(r.ok).toBe(true);
    expect(h.sim.requests.at(-1)).toMatchObject({ path: '/verify/json', auth: 'basic' });
  });
});
