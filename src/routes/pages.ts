// `reply.page(status, template, title, data)`: every page gets the layout, the brand, a fresh CSRF
// token and `Cache-Control: no-store` (pages hold tokens and account details).
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface DemoAccount {
  email: string;
  password: string;
}

export interface PagesOptions {
  brand: string;
  /** Shown on the sign-in page in demo mode only. */
  demoAccount?: DemoAccount;
}

declare module 'fastify' {
  interface FastifyReply {
    page(status: number, template: string, title: string, data?: Record<string, unknown>): Promise<FastifyReply>;
  }
  interface FastifyInstance {
    demoAccount: DemoAccount | undefined;
  }
}

async function pagesPlugin(app: FastifyInstance, options: PagesOptions): Promise<void> {
  app.decorate('demoAccount', options.demoAccount);
  app.decorateReply('page', async function page(this: FastifyReply, status, template, title, data = {}) {
    const csrfToken = this.generateCsrf();
    this.code(status).header('cache-control', 'no-store');
    return this.view(`${template}.eta`, { ...data, title, brand: options.brand, csrfToken });
  });
}

export default fp(pagesPlugin, { name: 'pages', dependencies: ['@fastify/view', '@fastify/csrf-protection'] });
