// `reply.page(status, template, title, data)`: every page gets the layout, the brand, a fresh CSRF
// token and `Cache-Control: no-store` (pages hold tokens and account details).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Eta } from 'eta';

export interface DemoAccount {
  email: string;
  password: string;
}

export interface PagesOptions {
  brand: string;
  /** Shown on the sign-in page in demo mode only. */
  demoAccount?: DemoAccount;
  /** The folder of `layout.eta` and one `NAME.eta` per page. */
  templatesDir: string;
}

declare module 'fastify' {
  interface FastifyReply {
    page(status: number, template: string, title: string, data?: Record<string, unknown>): Promise<FastifyReply>;
  }
  interface FastifyInstance {
    demoAccount: DemoAccount | undefined;
  }
}

type Template = ReturnType<Eta['compile']>;

const RETRY_UNAVAILABLE_S = 5;

async function pagesPlugin(app: FastifyInstance, options: PagesOptions): Promise<void> {
  // Each template is compiled once, on first use, and then called directly: rendering through
  // @fastify/view (and Eta's lookup of the file by name) cost a tenth of a page's CPU time.
  const eta = new Eta();
  const compiled = new Map<string, Template>();
  const template = (name: string): Template => {
    let compiledTemplate = compiled.get(name);
    if (!compiledTemplate) {
      compiledTemplate = eta.compile(readFileSync(join(options.templatesDir, `${name}.eta`), 'utf8'));
      compiled.set(name, compiledTemplate);
    }
    return compiledTemplate;
  };

  app.decorate('demoAccount', options.demoAccount);
  app.decorateReply('page', async function page(this: FastifyReply, status, name, title, data = {}) {
    const csrfToken = this.csrfToken();
    this.code(status).header('cache-control', 'no-store');
    // A service that is down for a moment: tell clients (and proxies) when to come back.
    if (status === 503 && !this.hasHeader('retry-after')) this.header('retry-after', String(RETRY_UNAVAILABLE_S));
    let html: string;
    try {
      const it = { ...data, title, brand: options.brand, csrfToken };
      html = eta.render(template('layout'), { ...it, body: eta.render(template(name), it) });
    } catch (error) {
      return this.send(error);
    }
    if (!this.getHeader('content-type')) this.header('content-type', 'text/html; charset=utf-8');
    return this.send(html);
  });
}

export default fp(pagesPlugin, { name: 'pages', dependencies: ['csrf'] });
