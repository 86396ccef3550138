// Pages: `templates/NAME.eta` inside `templates/layout.eta`, rendered by @fastify/view with Eta.
//
// - `reply.view('home', { email, title })` is @fastify/view's own call: a protected route can use
//   it directly and gets the whole page.
// - `reply.page(status, template, title, data)` is what the app's routes call: the status, the
//   title, and Retry-After on a 503, then `reply.view`.
//
// Every template also sees `it.brand` (@fastify/view's defaultContext) and `it.csrfToken()`
// (`reply.locals`), a token for the page's forms. It is a function, not a value or a getter
// (@fastify/view copies `reply.locals` into each render's data, which would run a getter on every
// page), so a token is made only for a page that has a form: one per page, however many forms.
// `it.oneTimeRecoveryCodes()` (also `reply.locals`) hands the layout new recovery codes waiting in
// the session, once: the first full page (200) a signed-in session renders shows them, whatever
// page it is, and no route needs to know.
// Every HTML response is sent with `Cache-Control: no-store` by an onSend hook (pages hold tokens and
// account details), whichever way it was rendered.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fp from 'fastify-plugin';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { groupRecoveryCode } from '../accounts/recovery-codes.ts';
import { takeCodesToShow } from '../session/recovery-session.ts';

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

/** Data every template gets from the request, besides what its route passes. */
export interface PageLocals {
  /** A CSRF token for the page's hidden `_csrf` fields: made on the first call, then the same one. */
  csrfToken(): string;
  /**
   * New recovery codes (grouped for reading) waiting in a signed-in session, taken from it for
   * this page when it is a full page (200); undefined otherwise. The same answer on every call.
   */
  oneTimeRecoveryCodes(): string[] | undefined;
  [key: string]: unknown;
}

declare module 'fastify' {
  interface FastifyReply {
    page(status: number, template: string, title: string, data?: Record<string, unknown>): Promise<FastifyReply>;
    /**
     * @fastify/view's per-request template data, merged into every `reply.view`. Add to it
     * (`reply.locals.user = …`); it cannot be replaced (it carries `csrfToken`).
     */
    readonly locals: PageLocals;
  }
  interface FastifyInstance {
    demoAccount: DemoAccount | undefined;
  }
}

const RETRY_UNAVAILABLE_S = 5;
const LOCALS = Symbol('page locals');
type ReplyWithLocals = FastifyReply & { [LOCALS]: PageLocals | null };
type SignedIn = (request: FastifyRequest) => boolean;

async function pagesPlugin(app: FastifyInstance, options: PagesOptions): Promise<void> {
  app.decorate('demoAccount', options.demoAccount);
  const signedIn: SignedIn = (request) => app.signIn.state(request) === 'signed-in';

  // Declared before @fastify/view registers, which then adds no onRequest hook of its own to give
  // every request (static files and redirects too) an empty `reply.locals`: ours is made on first
  // use, that is when a page renders.
  app.decorateReply(LOCALS, null);
  app.decorateReply('locals', {
    getter(this: FastifyReply) {
      return ((this as ReplyWithLocals)[LOCALS] ??= pageLocals(this, signedIn));
    },
  });
  await app.register(view, {
    engine: { eta: precompiledEta(options.templatesDir) },
    root: options.templatesDir,
    layout: 'layout.eta',
    // Templates compiled once (at start) and never re-read, in development too: restart the
    // server to see an edited template.
    production: true,
    defaultContext: {
      brand: options.brand,
      csrfToken() {
        throw new Error('it.csrfToken() needs a request: render with reply.view or reply.page, not app.view');
      },
      oneTimeRecoveryCodes: () => undefined, // no request, no session
    },
  });

  app.decorateReply('page', function page(this: FastifyReply, status: number, name: string, title: string, data: Record<string, unknown> = {}) {
    this.code(status);
    // A service that is down for a moment: tell clients (and proxies) when to come back.
    if (status === 503 && !this.hasHeader('retry-after')) this.header('retry-after', String(RETRY_UNAVAILABLE_S));
    // @fastify/view's reply.view resolves to the reply once sent (its types say FastifyReply).
    return this.view(name, { ...data, title }) as unknown as Promise<FastifyReply>;
  });

  app.addHook('onSend', (_request, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/html')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}

function pageLocals(reply: FastifyReply, signedIn: SignedIn): PageLocals {
  let token: string | undefined;
  let codes: string[] | undefined | null = null;
  return {
    csrfToken: () => (token ??= reply.csrfToken()),
    oneTimeRecoveryCodes: () => (codes === null ? (codes = codesForThisPage(reply, signedIn)) : codes),
  };
}

/**
 * Taken from the session only for a full page (a 303, an error page or a HEAD answer leaves them
 * there) of a signed-in session; the session is saved without them as the page is sent.
 */
function codesForThisPage(reply: FastifyReply, signedIn: SignedIn): string[] | undefined {
  const { request } = reply;
  if (reply.statusCode !== 200 || request.method === 'HEAD' || !signedIn(request)) return undefined;
  return takeCodesToShow(request, reply)?.map(groupRecoveryCode);
}

/**
 * An Eta with every template under `dir` compiled now (a syntax error stops the start, no request
 * reads a file), stored as Eta's cache finds them: by path. @fastify/view hands Eta a name
 * ('home.eta') on every render, and Eta's resolvePath then works the path out and checks it afresh
 * (JSON.stringify, path.join, path.relative). These names are looked up in a map instead; any
 * other name (or an include) goes Eta's own way. Measured in a request, the home page rendered in
 * 0.24 µs by direct Eta calls, 4.8 µs through @fastify/view with `production: true` and a plain
 * Eta, 1.7 µs with this one. The 1.5 µs left is @fastify/view's own: its async layers, copies of
 * the data, and an LRU lookup of each template's file name.
 */
function precompiledEta(dir: string): Eta {
  const eta = new Eta({ views: dir, cache: true });
  const paths = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.eta')) continue;
    const path = join(dir, name);
    eta.loadTemplate(path, readFileSync(path, 'utf8'));
    paths.set(name, path);
  }
  const resolvePath = eta.resolvePath as NonNullable<Eta['resolvePath']>;
  eta.resolvePath = function resolveKnown(template, options) {
    return (options?.filepath === undefined ? paths.get(template) : undefined) ?? resolvePath.call(this, template, options);
  };
  return eta;
}

export default fp(pagesPlugin, { name: 'pages', dependencies: ['csrf', 'signin'] });
