// One validated, typed config from the environment (and `.env`, see readDotEnv). The server reads
// all of it; the admin commands (src/commands/) read the storage part through the same code.
// Every problem becomes a ConfigError whose message is one line naming the variable.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parseDatabaseUrl } from './storage/database-url.ts';
import { parseRedisUrl } from './storage/redis-url.ts';
import type { DatabaseLocation } from './storage/database-url.ts';
import { loadSessionSecrets } from './session/session-secrets.ts';
import { parseTrustProxy } from './http/trust-proxy.ts';
import { parsePublicOrigin } from './http/public-origin.ts';
import type { PublicOrigin } from './http/public-origin.ts';
import { parseAllowedCountries } from './verify/allowed-countries.ts';
import { loadPrivateKey, parseApiHost, parseBrand } from './verify/vonage-settings.ts';
import { parseMetricsListen } from './metrics/metrics-config.ts';
import type { MetricsListen } from './metrics/metrics-config.ts';
import type { LegacyCredentials, V2Credentials, VonageSettings } from './verify/vonage-settings.ts';
import { legacyWorkflowNote, parseCodeLength, parseLocale, parseWhatsAppFrom, parseWorkflow } from './verify/delivery-settings.ts';
import type { DeliverySettings } from './verify/delivery-settings.ts';

/**
 * Verify settings, checked once here: the adapters take them as they are. Demo mode carries no
 * credentials (the in-process simulator makes its own).
 */
export type VerifyConfig =
  | ({ api: 'v2' } & VerifySettings & V2Credentials)
  | ({ api: 'legacy' } & VerifySettings & LegacyCredentials)
  | ({ api: 'demo' } & VerifySettings);

/** What every API takes: where and as whom (VonageSettings), and how codes are delivered. */
export type VerifySettings = VonageSettings & { delivery: DeliverySettings };

export type VerifyApi = VerifyConfig['api'];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  production: boolean;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Log bytes that may wait for a slow reader of stdout before new lines are dropped (LOG_BUFFER_BYTES). */
  logBufferBytes: number;
  database: DatabaseLocation;
  /** Sessions and counters move to Redis when set (REDIS_URL). */
  redisUrl?: string;
  /** Prepended to every Redis key, so apps (or tests) can share one Redis. */
  redisKeyPrefix: string;
  migrationsDirs: string[];
  /** The first signs, all verify: rotate by putting the new secret first. */
  sessionSecrets: string[];
  trustProxy: boolean | string;
  /** PUBLIC_ORIGIN, parsed: where production's plain-HTTP requests are sent; passkeys bind to its hostname. */
  publicOrigin: PublicOrigin;
  /** A signed-in session ends after this long without a request… */
  sessionIdleMinutes: number;
  /** …and this long after sign-in, however active. */
  sessionMaxHours: number;
  auditRetentionDays: number;
  /** "Remember this browser" skips the code step for this many days; 0 turns the feature off. */
  rememberDeviceDays: number;
  /** A sensitive action needs a full sign-in or a confirmation (/account/confirm) this recent (STEP_UP_MINUTES). */
  stepUpMinutes: number;
  /** Passkeys offered and accepted (PASSKEYS=on, the default); off, no route, page or script mentions them. */
  passkeys: boolean;
  /** Calling codes (`['1', '44']`) whose phones may be sent a code; `[]` allows all. See phoneAllowed. */
  verifyAllowedCountries: string[];
  verify: VerifyConfig;
  /** Prometheus `GET /metrics` on a listener of its own (METRICS_PORT / METRICS_HOST); unset: none. */
  metrics?: MetricsListen;
  /** Not errors, but worth saying loudly at start (loadConfig cannot log). */
  warnings: string[];
}

/** What the admin commands read too: where the state is kept, and how long sessions live. */
export type StorageConfig = Pick<Config, 'database' | 'redisUrl' | 'redisKeyPrefix' | 'migrationsDirs' | 'sessionIdleMinutes' | 'sessionMaxHours'>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Reads `.env` when present; variables already set in the environment win (Node's loadEnvFile never overrides). */
export function readDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/**
 * The same rule for an admin command, which may run inside another process (the tests): `env`
 * with `dir/.env`'s variables beneath it, process.env untouched.
 */
export function withDotEnv(env: Env, dir: string): Env {
  const file = join(dir, '.env');
  if (!existsSync(file)) return env;
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  return { ...parseEnv(readFileSync(file, 'utf8')), ...set };
}

function reader(env: Env) {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const number = (name: string, fallback: number, min: number, max: number, unit?: string) =>
    parseNumber(name, get(name), fallback, min, max, unit);
  return { get, number };
}

export function loadStorageConfig(env: Env = process.env): StorageConfig {
  const { get, number } = reader(env);
  const sessionIdleMinutes = number('SESSION_IDLE_MINUTES', 30, 1, 1440, 'minutes');
  const sessionMaxHours = number('SESSION_MAX_HOURS', 12, 1, 720, 'hours');
  if (sessionMaxHours * 60 < sessionIdleMinutes) {
    throw new ConfigError(
      `SESSION_MAX_HOURS (${sessionMaxHours} h) is shorter than SESSION_IDLE_MINUTES (${sessionIdleMinutes} min): the absolute lifetime must be at least the idle timeout`,
    );
  }
  return {
    database: asConfigError(() => parseDatabaseUrl(get('DATABASE_URL') ?? 'sqlite:data/app.db')),
    redisUrl: asConfigError(() => parseRedisUrl(get('REDIS_URL'))),
    redisKeyPrefix: get('REDIS_KEY_PREFIX') ?? 'signin:',
    migrationsDirs: (get('MIGRATIONS_DIR') ?? 'migrations').split(':').filter(Boolean),
    sessionIdleMinutes,
    sessionMaxHours,
  };
}

export function loadConfig(env: Env = process.env): Config {
  const { get, number } = reader(env);
  const nodeEnv = get('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  // The Vonage SDK's `debug` output prints request headers, credentials included.
  if (production && /vonage|\*/.test(get('DEBUG') ?? '')) {
    throw new ConfigError('DEBUG enables the Vonage SDK debug log, which prints credentials; unset it in production');
  }

  const storage = loadStorageConfig(env);
  const { database } = storage;
  const port = number('PORT', 3000, 0, 65535);
  const config: Config = {
    production,
    host: get('HOST') ?? '127.0.0.1',
    port,
    logLevel: parseLogLevel(get('LOG_LEVEL')),
    // 64 KiB at least: a pipe holds that much anyway; the default is src/http/log-destination.ts's.
    logBufferBytes: number('LOG_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024, 'bytes'),
    ...storage,
    sessionSecrets: asConfigError(() => loadSessionSecrets(get('SESSION_SECRET'), production, database.kind === 'sqlite' ? database.path : undefined)),
    trustProxy: asConfigError(() => parseTrustProxy(get('TRUST_PROXY'), production)),
    auditRetentionDays: number('AUDIT_RETENTION_DAYS', 90, 1, 3650, 'days'),
    rememberDeviceDays: number('REMEMBER_DEVICE_DAYS', 30, 0, 365, 'days'),
    stepUpMinutes: number('STEP_UP_MINUTES', 10, 1, 60, 'minutes'),
    passkeys: parseOnOff('PASSKEYS', get('PASSKEYS'), true),
    verifyAllowedCountries: asConfigError(() => parseAllowedCountries(get('VERIFY_ALLOWED_COUNTRIES'))),
    verify: loadVerifyConfig(get, production),
    publicOrigin: asConfigError(() => parsePublicOrigin(get('PUBLIC_ORIGIN'), production, port)),
    warnings: [],
  };
  config.metrics = asConfigError(() => parseMetricsListen(get('METRICS_PORT'), get('METRICS_HOST'), config.port));
  config.warnings.push(...realVerifyOutsideProduction(config.verify, production, nodeEnv));
  const workflowNote = config.verify.api === 'legacy' ? legacyWorkflowNote(config.verify.delivery.workflow) : undefined;
  if (workflowNote) config.warnings.push(workflowNote);
  return config;
}

/** Helpers that live beside their concern throw plain Errors already naming the variable. */
function asConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function parseNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number, unit?: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number${unit ? ` of ${unit}` : ''} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function parseOnOff(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}"`);
}

function parseLogLevel(raw: string | undefined): LogLevel {
  const level = (raw ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return level as LogLevel;
}

// Developers copy production credentials into .env; then every test sign-in is a real, paid SMS.
function realVerifyOutsideProduction(verify: VerifyConfig, production: boolean, nodeEnv: string): string[] {
  if (production || verify.api === 'demo') return [];
  const host = new URL(verify.apiHost).hostname.toLowerCase();
  if (!/(^|\.)(nexmo|vonage)\.com$/.test(host)) return [];
  return [`Real Vonage credentials are set outside production (NODE_ENV=${nodeEnv}): codes will be sent by real SMS and cost money`];
}

function loadVerifyConfig(get: (name: string) => string | undefined, production: boolean): VerifyConfig {
  const apiKey = get('VONAGE_API_KEY');
  const apiSecret = get('VONAGE_API_SECRET');
  const applicationId = get('VONAGE_APPLICATION_ID');
  const privateKeyRaw = get('VONAGE_PRIVATE_KEY');
  const requested = get('VERIFY_API') ?? 'auto';
  if (!['auto', 'v2', 'legacy', 'demo'].includes(requested)) {
    throw new ConfigError(`VERIFY_API must be auto, v2, legacy or demo, got "${requested}"`);
  }
  let api: VerifyApi;
  if (requested === 'auto') api = applicationId || privateKeyRaw ? 'v2' : apiKey || apiSecret ? 'legacy' : 'demo';
  else api = requested as VerifyApi;

  if (api === 'demo' && production) {
    throw new ConfigError(
      'VERIFY_API: production needs Vonage credentials (VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY, or VONAGE_API_KEY and VONAGE_API_SECRET); demo mode is not allowed',
    );
  }
  const require = (name: string, value: string | undefined): string => {
    if (value === undefined) throw new ConfigError(`${name} is required for VERIFY_API=${api}`);
    return value;
  };

  const brand = asConfigError(() => parseBrand(get('VONAGE_BRAND') ?? 'Acme'));
  const timeoutMs = parseNumber('VERIFY_TIMEOUT_MS', get('VERIFY_TIMEOUT_MS'), 5000, 100, 60000, 'milliseconds');
  const workflow = asConfigError(() => parseWorkflow(get('VERIFY_WORKFLOW'), api));
  const delivery: DeliverySettings = asConfigError(() => ({
    workflow,
    codeLength: parseCodeLength(get('VERIFY_CODE_LENGTH'), api),
    locale: parseLocale(get('VERIFY_LOCALE'), api),
    whatsappFrom: parseWhatsAppFrom(get('VONAGE_WHATSAPP_FROM'), workflow),
  }));
  const base: VerifySettings = { apiHost: asConfigError(() => parseApiHost(get('VONAGE_API_HOST'))), brand, timeoutMs, delivery };
  if (api === 'legacy') {
    return { api, ...base, apiKey: require('VONAGE_API_KEY', apiKey), apiSecret: require('VONAGE_API_SECRET', apiSecret) };
  }
  if (api === 'v2') {
    return {
      api,
      ...base,
      applicationId: require('VONAGE_APPLICATION_ID', applicationId),
      privateKey: asConfigError(() => loadPrivateKey(require('VONAGE_PRIVATE_KEY', privateKeyRaw))),
    };
  }
  return { api, ...base };
}
