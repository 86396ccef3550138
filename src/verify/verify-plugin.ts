// Vonage Verify as a service: `app.verify` (the client the config chose: v2, legacy or the demo
// simulator) and the calling codes it may send to.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { VerifyClient } from './verify-client.ts';

export interface VerifyService {
  client: VerifyClient;
  /** Calling codes Verify may send to; empty allows all (VERIFY_ALLOWED_COUNTRIES). */
  allowedCountries: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    verify: VerifyService;
  }
}

async function verifyPlugin(app: FastifyInstance, options: VerifyService): Promise<void> {
  app.decorate('verify', { client: options.client, allowedCountries: options.allowedCountries });
}

export default fp(verifyPlugin, { name: 'verify', fastify: '5.x' });
