// buildApp(config): everything the server runs, in the order a request meets it.
// server.ts and the tests call this same factory.
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import ajvCompiler from '@fastify/ajv-compiler';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import type { Config } from './config.ts';
import { securityHeaders } from './http/security-headers.ts';
import { serveStaticFilesWithoutSessions } from './http/static-files.ts';
import { rejectOddRequestTargets } from './http/request-target.ts';
import { requireHttps } from './http/require-https.ts';
import { serverTimeouts } from './http/server-timeouts.ts';
import { clientErrorPages } from './http/client-error-page.ts';
import { trustProxyOption } from './http/trust-proxy.ts';
import type { ServerTimeouts } from './http/server-timeouts.ts';
import { RequestLinesAtDebug, lazyChildLogger } from './http/request-log.ts';
import { stdoutLogStream } from './http/log-destination.ts';
import { verifyAgainstDummy } from './accounts/passwords.ts';
import { createAccountCache } from './accounts/account-cache.ts';
import { createRecoveryCodes } from './accounts/recovery-codes.ts';
import { sessionRules } from './signin/state.ts';
import type { SessionTimes } from './signin/state.ts';
import { cookieNames, createLoginCookies } from './session/login-cookies.ts';
import signIn from './signin/plugin.ts';
import rememberBrowser from './session/remember-browser.ts';
import { createAccountSessions } from './signin/account-sessions.ts';
import csrf from './session/csrf.ts';
import { sessionIdGenerator } from './session/session-ids.ts';
import budgetsService from './state/budgets-plugin.ts';
import accountsService from './accounts/accounts-plugin.ts';
import auditService from './accounts/audit-plugin.ts';
import verifyService from './verify/verify-plugin.ts';
import rememberedBrowserFactor from './signin/factors/remembered-browser.ts';
import verifyCodeFactor from './signin/factors/verify-code/index.ts';
import passkeyFactor from './signin/factors/passkey.ts';
import passkeysService from './passkeys/passkeys-plugin.ts';
import { signOnceSigner } from './session/session-signer.ts';
import type { VerifyClient } from './verify/verify-client.ts';
import pages from './http/pages.ts';
import errorPages from './http/error-pages.ts';
import loginRoutes from './routes/login.ts';
import codeRoutes from './routes/code.ts';
import loginPasskeyRoutes from './routes/login-passkey.ts';
import logoutRoutes from './routes/logout.ts';
import accountArea from './routes/account-area.ts';
import healthRoutes from './routes/health.ts';
import { chooseVerifyClient } from './verify/choose-verify-client.ts';
import { openBackends } from './storage/backends.ts';
import type { Backends } from './storage/backends.ts';
import { startMaintenance } from './storage/maintenance.ts';
import metrics from './metrics/metrics-plugin.ts';
import { countedDeps } from './metrics/counted-deps.ts';

/** Rows of sessions that hold no sign-in (rarely stored at all) live this long. */
const ANONYMOUS_SESSION_TTL_MS = 60 * 60 * 1000;
/** How long a browser that signed in keeps its own password budget (OWASP device cookies). */
const DEVICE_COOKIE_DAYS = 180;
const FORM_BODY_LIMIT = 16 * 1024;
const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
/**
 * One pool of validators for every app in the process (Fastify's own default, shared): each
 * Fastify instance would otherwise build its own Ajv, which compiles the JSON Schema meta-schema
 * and every route schema again. Measured ~16 ms of a ~50 ms app build; the tests build hundreds.
 * Ajv reuses a compiled schema by identity, and the route schemas are module constants.
 */
const sharedValidators = ajvCompiler();

declare module 'fastify' {
  interface FastifyInstance {
    /** The database and the session/counter store this app runs on. */
    backends: Backends;
  }
}

export interface BuildOptions {
  /** Where log lines go (tests pass a stream to read what was logged); stdout otherwise. */
  logStream?: { write(line: string): void };
  /** Overrides the Verify client the config would build. */
  verify?: VerifyClient;
  /** Small values let a test see a stalled request time out. */
  serverTimeouts?: Partial<ServerTimeouts>;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // stdout through a bounded buffer: a reader that stops reading never holds the server.
  const stdoutLog = options.logStream ? undefined : stdoutLogStream(config.logBufferBytes);
  const app: FastifyInstance = Fastify({
    ...serverTimeouts(options.serverTimeouts),
    schemaController: { compilersFactory: { buildValidator: sharedValidators } },
    logger: {
      level: config.logLevel,
      redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
      stream: options.logStream ?? stdoutLog,
    },
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: FORM_BODY_LIMIT,
    logController: new RequestLinesAtDebug(),
    childLoggerFactory: lazyChildLogger,
    // Errors Node's parser raises before routing (a 16 KB Cookie header) get a page too.
    clientErrorHandler: clientErrorPages(config.verify.brand, appSecurityHeaders(config)),
  });

  stdoutLog?.reportDropsTo(app.log);
  for (const warning of config.warnings) app.log.warn(warning);
  const times = { idleMs: config.sessionIdleMinutes * 60_000, maxMs: config.sessionMaxHours * 3_600_000 };
  // A Verify request's lock outlives the longest work done under it: a resend may make three calls,
  // each up to twice the timeout plus a second (the adapters' own deadline).
  const verifyCallSeconds = Math.ceil((3 * (2 * config.verify.timeoutMs + 1000)) / 1000) + 5;
  const backends = await openBackends(
    { ...config, onMigrationWait: (message) => app.log.warn(message) },
    { rules: sessionRules(times, ANONYMOUS_SESSION_TTL_MS), limitOverrides: { 'verify-call': { points: 1, seconds: verifyCallSeconds } } },
    (backend, error) => app.log.error({ failure: { name: error.name, message: error.message } }, `${backend} connection lost`),
    (backend) => app.log.info(`${backend} connection restored`),
  );
  // Closed with the app, or at once if the rest of the start fails (no pool outlives a failed build).
  app.addHook('onClose', () => backends.close());
  try {
    return await buildOnBackends(app, config, options, backends, times);
  } catch (error) {
    await backends.close();
    throw error;
  }
}

/** The same headers on every answer, including the pages for errors raised before routing. */
function appSecurityHeaders(config: Config): Record<string, string> {
  return securityHeaders({
    contentSecurityPolicy: {
      directives: {
        'form-action': ["'self'"],
        'style-src': ["'self'"],
        // Outside production the app is served over plain HTTP: do not ask browsers to upgrade.
        'upgrade-insecure-requests': config.production ? [] : null,
      },
    },
    strictTransportSecurity: config.production,
  });
}

/** Everything after the backends are open: Verify, the plugins in the order a request meets them, the routes. */
async function buildOnBackends(
  app: FastifyInstance,
  config: Config,
  options: BuildOptions,
  backends: Backends,
  times: SessionTimes,
): Promise<FastifyInstance> {
  for (const name of backends.appliedMigrations) app.log.info(`applied migration ${name}`);
  const { database, state } = backends;
  app.decorate('backends', backends);
  // Before any route: each route's counters are resolved as it is added.
  await app.register(metrics, { listen: config.metrics });
  const maintenance = startMaintenance(backends, config.auditRetentionDays, (error, what) =>
    app.log.error({ err: (error as Error).message }, `${what} prune failed`),
  );
  app.addHook('onClose', async () => maintenance.stop());

  const { verify: uncountedVerify, demoAccount } = await chooseVerifyClient(app, config, database, options.verify);

  // The first dummy verification computes the dummy hash: do it now, not on a user's request.
  await verifyAgainstDummy('warm-up');
  const { accounts } = database;
  const { sessions: sessionStore } = state;
  const { audit, limits, verify } = countedDeps(app.metrics, { audit: database.audit, limits: state.limits, verify: uncountedVerify });
  const names = cookieNames(config.production);

  // External plugins: headers, body parsing, cookies, static files (no session), sessions, CSRF.
  const headers = appSecurityHeaders(config);
  // Into the reply's own headers, not the raw response's: Node then writes every header in one
  // pass (`writeHead`) instead of validating each twice (`setHeader`, then `writeHead`'s merge).
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  app.addHook('onRequest', rejectOddRequestTargets);
  if (config.production) app.addHook('onRequest', requireHttps(config.publicOrigin.origin));
  // Plain HTML forms are the only input: JSON, text or multipart bodies answer 415.
  app.removeAllContentTypeParsers();
  await app.register(formbody);
  await app.register(cookie, {
    secret: config.sessionSecrets,
    parseOptions: { httpOnly: true, sameSite: 'lax', path: '/', secure: config.production },
  });
  await serveStaticFilesWithoutSessions(app, names.session, { passkeys: config.passkeys });
  await app.register(session, {
    secret: signOnceSigner(config.sessionSecrets),
    cookieName: names.session,
    idGenerator: sessionIdGenerator,
    store: sessionStore,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', path: '/', secure: config.production, maxAge: times.maxMs },
  });
  await app.register(csrf, { cookieName: names.csrf, secure: config.production });

  // Our services, the sign-in and its second factors (asked in this order after the password), then routes.
  await app.register(accountsService, { accounts, recoveryCodes: createRecoveryCodes(database.recoveryCodes, config.sessionSecrets) });
  await app.register(auditService, { audit });
  await app.register(budgetsService, { limits });
  await app.register(verifyService, { client: verify, allowedCountries: config.verifyAllowedCountries });
  const cookies = createLoginCookies(names, DEVICE_COOKIE_DAYS);
  const accountCache = createAccountCache(accounts);
  await app.register(signIn, { names, cookies, store: sessionStore, accountCache, audit, times, stepUpMs: config.stepUpMinutes * 60_000 });
  await app.register(rememberBrowser, {
    cookieName: names.remember,
    secure: config.production,
    store: database.rememberedBrowsers,
    days: config.rememberDeviceDays,
  });
  await app.register(rememberedBrowserFactor);
  if (config.passkeys) {
    // PASSKEYS=off registers neither: no factor, no route, no page mentions them.
    await app.register(passkeysService, { store: database.passkeys, publicOrigin: config.publicOrigin.origin, brand: config.verify.brand });
    await app.register(passkeyFactor);
  }
  await app.register(verifyCodeFactor);
  await app.register(pages, { brand: config.verify.brand, demoAccount, templatesDir: root('templates') });
  await app.register(errorPages);
  await app.register(loginRoutes);
  await app.register(codeRoutes);
  if (config.passkeys) await app.register(loginPasskeyRoutes);
  await app.register(logoutRoutes);
  // The signed-in area: home, recovery codes, password, sessions, all behind the gate.
  await app.register(accountArea, { sessions: createAccountSessions(sessionStore, times) });
  await app.register(healthRoutes, { health: backends.health });
  return app;
}
