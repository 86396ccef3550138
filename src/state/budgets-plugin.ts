// The counters as a service: `app.limits` (the named limits) and `app.budgets` (the sign-in's
// budgets built on them).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createBudgets } from './budgets.ts';
import type { Budgets } from './budgets.ts';
import type { Limits } from './limits.ts';

declare module 'fastify' {
  interface FastifyInstance {
    limits: Limits;
    budgets: Budgets;
  }
}

async function budgetsPlugin(app: FastifyInstance, options: { limits: Limits }): Promise<void> {
  app.decorate('limits', options.limits);
  app.decorate('budgets', createBudgets(options.limits));
}

export default fp(budgetsPlugin, { name: 'budgets', fastify: '5.x' });
