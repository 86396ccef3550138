// The accounts as a service: `app.accounts` (the store, read afresh by every step but the gate)
// and `app.recoveryCodes` (made, spent, replaced).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { AccountStore } from './account-store.ts';
import type { RecoveryCodes } from './recovery-codes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    accounts: AccountStore;
    recoveryCodes: RecoveryCodes;
  }
}

async function accountsPlugin(app: FastifyInstance, options: { accounts: AccountStore; recoveryCodes: RecoveryCodes }): Promise<void> {
  app.decorate('accounts', options.accounts);
  app.decorate('recoveryCodes', options.recoveryCodes);
}

export default fp(accountsPlugin, { name: 'accounts', fastify: '5.x' });
