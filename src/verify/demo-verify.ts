// Demo mode: the Verify simulator runs in this process and the real v2 adapter (real SDK, real
// JWTs signed with a key made at start) talks to it over loopback. Codes go to the log instead of SMS.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { VerifyConfig } from '../config.ts';
import { maskEmail, maskPhone } from '../accounts/mask-phone.ts';
import { createVerifyClient } from './create-verify-client.ts';
import { startVerifySimulator } from '../verify-simulator/index.ts';
import type { VerifyClient } from './verify-client.ts';

export async function startDemoVerify(
  config: VerifyConfig,
  log: FastifyBaseLogger,
): Promise<{ client: VerifyClient; close: () => Promise<void> }> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const applicationId = randomUUID();
  const simulator = await startVerifySimulator({
    applicationId,
    publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    onCode: ({ code, channel, to }) =>
      log.warn(`DEMO MODE: code ${code} sent by ${channel} to ${to.includes('@') ? maskEmail(to) : maskPhone(`+${to}`)}`),
  });
  const client = createVerifyClient({
    api: 'v2',
    apiHost: simulator.url,
    brand: config.brand,
    timeoutMs: config.timeoutMs,
    delivery: config.delivery,
    applicationId,
    privateKey: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  return { client, close: () => simulator.close() };
}
