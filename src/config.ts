// One validated, typed config from the environment (and `.env`, read by server.ts).
// Every problem becomes a ConfigError whose message is one line naming the variable.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDatabaseUrl } from './db/connection.ts';

export type VerifyApi = 'v2' | 'legacy' | 'demo';

export interface VerifyConfig {
  api: VerifyApi;
  apiHost: string;
  brand: string;
  timeoutMs: number;
  apiKey?: string;
  apiSecret?: string;
  applicationId?: string;
  privateKey?: string;
}

export interface Config {
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  databasePath: string;
  migrationsDirs: string[];
  /** The first signs, all verify: rotate by putting the new secret first. */
  sessionSecrets: string[];
  trustProxy: boolean | string;
  verify: VerifyConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const MIN_SECRET_LENGTH = 32;
const MAX_BRAND_LENGTH = 18;

export function loadConfig(env: Env = process.env): Config {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const nodeEnv = get('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  // The Vonage SDK's `debug` output prints request headers, credentials included.
  if (production && /vonage|\*/.test(get('DEBUG') ?? '')) {
    throw new ConfigError('DEBUG enables the Vonage SDK debug log, which prints credentials; unset it in production');
  }

  const databaseUrl = get('DATABASE_URL') ?? 'sqlite:data/app.db';
  let databasePath: string;
  try {
    databasePath = parseDatabaseUrl(databaseUrl).path;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }

  return {
    production,
    host: get('HOST') ?? '127.0.0.1',
    port: parsePort(get('PORT')),
    logLevel: get('LOG_LEVEL') ?? 'info',
    databasePath,
    migrationsDirs: (get('MIGRATIONS_DIR') ?? 'migrations').split(':').filter(Boolean),
    sessionSecrets: loadSessionSecrets(get('SESSION_SECRET'), production, databasePath),
    trustProxy: parseTrustProxy(get('TRUST_PROXY')),
    verify: loadVerifyConfig(get, production),
  };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 3000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new ConfigError(`PORT must be a number from 0 to 65535, got "${raw}"`);
  return port;
}

function parseTrustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  // Fastify 5 treats a hop count as "trust nothing" (it cannot tell a proxy from a client that
  // sends its own X-Forwarded-For): refuse it rather than silently break HTTPS detection.
  if (/^\d+$/.test(raw)) {
    throw new ConfigError(`TRUST_PROXY must be true or the proxy's addresses (e.g. 127.0.0.1, loopback, 10.0.0.0/8), not a hop count ("${raw}")`);
  }
  return raw; // addresses, CIDR ranges or proxy-addr names (loopback, uniquelocal), comma-separated
}

function loadSessionSecrets(raw: string | undefined, production: boolean, databasePath: string): string[] {
  if (raw === undefined) {
    if (production) throw new ConfigError('SESSION_SECRET is required in production (at least 32 characters)');
    return [generatedDevelopmentSecret(databasePath)];
  }
  const secrets = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (secrets.length === 0 || secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError(`SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters (each, when comma-separated)`);
  }
  return secrets;
}

// Outside production a secret is made once and kept beside the database, so sessions survive restarts.
function generatedDevelopmentSecret(databasePath: string): string {
  const dir = databasePath === ':memory:' ? resolve('data') : dirname(resolve(databasePath));
  const file = resolve(dir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
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

  const brand = get('VONAGE_BRAND') ?? 'Acme';
  if (brand.length > MAX_BRAND_LENGTH) {
    throw new ConfigError(`VONAGE_BRAND must be at most ${MAX_BRAND_LENGTH} characters, got ${brand.length}`);
  }
  const timeoutRaw = get('VERIFY_TIMEOUT_MS') ?? '5000';
  const timeoutMs = Number(timeoutRaw);
  if (!/^\d+$/.test(timeoutRaw) || timeoutMs < 100 || timeoutMs > 60000) {
    throw new ConfigError(`VERIFY_TIMEOUT_MS must be a number of milliseconds from 100 to 60000, got "${timeoutRaw}"`);
  }
  const base: VerifyConfig = { api, apiHost: parseApiHost(get('VONAGE_API_HOST')), brand, timeoutMs };
  if (api === 'legacy') {
    return { ...base, apiKey: require('VONAGE_API_KEY', apiKey), apiSecret: require('VONAGE_API_SECRET', apiSecret) };
  }
  if (api === 'v2') {
    return {
      ...base,
      applicationId: require('VONAGE_APPLICATION_ID', applicationId),
      privateKey: loadPrivateKey(require('VONAGE_PRIVATE_KEY', privateKeyRaw)),
    };
  }
  return base;
}

function parseApiHost(raw: string | undefined): string {
  const value = raw ?? 'https://api.nexmo.com';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`VONAGE_API_HOST must be a URL such as https://api.nexmo.com, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`VONAGE_API_HOST must start with https:// or http://, got "${value}"`);
  }
  // The SDK builds `${apiHost}/v2/verify`: a trailing slash would double up.
  return value.replace(/\/+$/, '');
}

// A PEM string (literal newlines or `\n` escapes, as .env files often hold it) or a path to one.
function loadPrivateKey(raw: string): string {
  let pem: string;
  if (raw.includes('-----BEGIN')) {
    pem = raw.replace(/\\n/g, '\n');
  } else {
    try {
      pem = readFileSync(raw, 'utf8');
    } catch {
      throw new ConfigError('VONAGE_PRIVATE_KEY is neither a PEM key nor a readable file path');
    }
  }
  try {
    createPrivateKey(pem);
  } catch {
    throw new ConfigError('VONAGE_PRIVATE_KEY is not a valid PEM private key');
  }
  return pem;
}
