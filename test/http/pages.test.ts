// Pages through @fastify/view (src/http/pages.ts): a route added the way a Fastify developer would
// add one (`return reply.view('home', { email })`) gets the whole page (layout, brand, a working
// CSRF token, no-store, the security headers), the same bytes as the app's own `reply.page`, and a
// token is made only for a page whose template asks for one.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Account } from '../../src/accounts/account-store.ts';
import { maskPhone } from '../../src/accounts/mask-phone.ts';
import { startVerifySimulator } from '../../src/verify-simulator/index.ts';
import type { VerifySimulator } from '../../src/verify-simulator/index.ts';
import { ALICE, SESSION_SECRET, createTestClient, removeTestDir, seededDir, simulatorOptions, useTestApps, verifyEnv } from '../helpers/test-app.ts';
import { csrfFrom } from '../helpers/cookie-jar.ts';
import { backendEnv, sqlOn } from '../helpers/test-backend.ts';
import { CODES_PANEL_HEADING, expectCodesPanel, expectNoCodes } from '../helpers/recovery-codes.ts';

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
const BRAND = 'Pages Test';

interface AppWithRoutes {
  app: FastifyInstance;
  sim: VerifySimulator;
  /** SQL on the app's database (`$1` placeholders). */
  sql(text: string): Promise<unknown>;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((close) => close()));
});

/**
 * The app as startTestApp builds it, plus `routes` registered before it is ready (startTestApp
 * readies the app, after which no route can be added).
 */
async function startWithRoutes(routes: FastifyPluginAsync, extraEnv: Record<string, string> = {}): Promise<AppWithRoutes> {
  const dir = await seededDir();
  const sim = await startVerifySimulator(simulatorOptions());
  const env = {
    ...(await backendEnv(dir)),
    MIGRATIONS_DIR: `${MIGRATIONS}:${join(dir, 'seeds')}`,
    SESSION_SECRET,
    VONAGE_BRAND: BRAND,
    ...verifyEnv('v2', sim.url),
    ...extraEnv,
  };
  const app = await buildApp(loadConfig(env), { logStream: { write: () => {} } });
  await app.register(routes);
  await app.ready();
  open.push(async () => {
    await app.close();
    await sim.close();
    await removeTestDir(dir);
  });
  return { app, sim, sql: (text) => sqlOn(dir, text) };
}

/** Protected routes as a developer adding one would write them: the gate, then `reply.view`. */
const extraRoutes: FastifyPluginAsync = async (app) => {
  app.register(async (protectedPages) => {
    protectedPages.addHook('onRequest', protectedPages.requireSignedIn);
    protectedPages.get('/settings', async (request, reply) => {
      const { email } = request.account as Account;
      return reply.view('home', { email });
    });
    protectedPages.get('/settings/titled', async (request, reply) => {
      const { email, phone } = request.account as Account;
      return reply.view('home', { email, maskedPhone: maskPhone(phone), title: 'Home' });
    });
    protectedPages.get('/settings/from-locals', async (request, reply) => {
      reply.locals.email = `${(request.account as Account).email} (from locals)`;
      return reply.view('home');
    });
  });
  app.get('/down', async (_request, reply) => reply.page(503, 'error', 'Down', { heading: 'Down', message: 'Back soon.' }));
  app.get('/by-hand', async (_request, reply) => reply.type('text/html; charset=utf-8').send('<p>hand-made</p>'));
};

const withoutTokens = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""');

describe('reply.view from a newly added protected route', () => {
  it('sends the whole page: layout, brand, the route’s data, and the headers every page has', async () => {
    const { app, sim } = await startWithRoutes(extraRoutes);
    const c = createTestClient(app);
    await c.signIn(sim);
    const res = await c.get('/settings');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['content-security-policy'])).toContain("form-action 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    // no title given: the brand alone
    expect(res.body).toContain(`<title>${BRAND}</title>`);
    expect(res.body).toContain(`<p class="brand">${BRAND}</p>`);
    expect(res.body).toContain('<link rel="stylesheet" href="/static/app.css">');
    expect(res.body).toContain(`Signed in as <strong class="email">${ALICE.email}</strong>`);
    expect(res.body.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('its form carries a CSRF token that POST /logout accepts', async () => {
    const { app, sim } = await startWithRoutes(extraRoutes);
    const c = createTestClient(app);
    await c.signIn(sim);
    const page = await c.get('/settings');
    expect(csrfFrom(page.body)).toMatch(/\S{20,}/);
    // the client posts the token of the last page it saw: this one's
    const logout = await c.post('/logout');
    expect(logout.statusCode).toBe(303);
    expect(logout.headers.location).toBe('/login');
    expect((await c.get('/settings')).statusCode).toBe(303);
  });

  it('is byte for byte the page reply.page makes (GET /), tokens aside', async () => {
    // Without passkeys: the home page's passkey link and offer are its own route's data.
    const { app, sim } = await startWithRoutes(extraRoutes, { PASSKEYS: 'off' });
    const c = createTestClient(app);
    await c.signIn(sim);
    const viaPage = await c.get('/');
    const viaView = await c.get('/settings/titled');
    expect(viaView.body).toContain(`<title>Home · ${BRAND}</title>`);
    expect(withoutTokens(viaView.body)).toBe(withoutTokens(viaPage.body));
    expect(viaView.headers['cache-control']).toBe(viaPage.headers['cache-control']);
    expect(viaView.headers['content-type']).toBe(viaPage.headers['content-type']);
  });

  it('renders what a route adds to reply.locals', async () => {
    const { app, sim } = await startWithRoutes(extraRoutes);
    const c = createTestClient(app);
    await c.signIn(sim);
    const res = await c.get('/settings/from-locals');
    expect(res.body).toContain(`<strong class="email">${ALICE.email} (from locals)</strong>`);
    expect(csrfFrom(res.body)).toMatch(/\S{20,}/);
  });

  it('shows a first sign-in’s new recovery codes once, at the top, though the route knows nothing of them', async () => {
    const { app, sim, sql } = await startWithRoutes(extraRoutes);
    await sql('DELETE FROM recovery_codes');
    const c = createTestClient(app);
    expect((await c.signIn(sim)).headers.location).toBe('/');
    const first = await c.get('/settings/from-locals');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(`<strong class="email">${ALICE.email} (from locals)</strong>`);
    expectCodesPanel(first.body);
    expect(first.body.indexOf(CODES_PANEL_HEADING)).toBeGreaterThan(first.body.indexOf(`<p class="brand">${BRAND}</p>`));
    expectNoCodes((await c.get('/settings/from-locals')).body);
    expectNoCodes((await c.get('/')).body);
  });

  it('app.view (no request, so no token) says to render with reply.view', async () => {
    const { app } = await startWithRoutes(extraRoutes);
    await expect(app.view('home', { email: ALICE.email })).rejects.toThrow(/needs a request/);
  });
});

describe('page headers', () => {
  it('reply.page(503) adds Retry-After; every HTML response is no-store, other responses are not touched', async () => {
    const { app } = await startWithRoutes(extraRoutes);
    const down = await app.inject({ method: 'GET', url: '/down' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.headers['cache-control']).toBe('no-store');
    expect(down.body).toContain('<h1>Down</h1>');

    const byHand = await app.inject({ method: 'GET', url: '/by-hand' });
    expect(byHand.headers['cache-control']).toBe('no-store');

    const css = await app.inject({ method: 'GET', url: '/static/app.css' });
    expect(css.headers['cache-control']).not.toBe('no-store');
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers['cache-control']).toBeUndefined();
  });
});

describe('CSRF tokens on pages', () => {
  const startApp = useTestApps();

  it('are made only for a page with a form: a first visit to a 404 sets no CSRF cookie, /login does', async () => {
    const t = await startApp({ api: 'v2' });
    const notFound = await t.app.inject({ method: 'GET', url: '/nope' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.body).not.toContain('_csrf');
    expect(notFound.headers['set-cookie']).toBeUndefined();
    const login = await t.app.inject({ method: 'GET', url: '/login' });
    expect(login.body).toContain('name="_csrf"');
    expect(String(login.headers['set-cookie'])).toMatch(/csrf=/);
  });

  it('one per page: the code page’s three forms carry the same token', async () => {
    const t = await startApp({ api: 'v2' });
    const c = t.client();
    expect((await c.post('/login', { email: ALICE.email, password: ALICE.password })).statusCode).toBe(303);
    const page = await c.get('/login/code');
    const tokens = [...page.body.matchAll(/name="_csrf" value="([^"]+)"/g)].map((m) => m[1]);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
  });
});
