// The Vonage settings as the adapters take them, and the parsers loadConfig (config.ts) makes them
// with: this is the one place they are checked, so the adapters trust what they are given. Errors
// are plain and name the variable; loadConfig turns them into ConfigErrors.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** What both adapters need. */
export interface VonageSettings {
  /** An http(s) URL with no trailing slash, e.g. 'https://api.nexmo.com' (parseApiHost). */
  apiHost: string;
  /** Shown in the SMS: 1–18 characters, none that Vonage refuses (parseBrand). */
  brand: string;
  /** Per Vonage call, 100–60000 ms. */
  timeoutMs: number;
}

/** Verify v2: a Vonage application (JWTs signed with its key). */
export interface V2Credentials {
  /** Never empty. */
  applicationId: string;
  /** An RSA private key as PEM text with real newlines (loadPrivateKey). */
  privateKey: string;
}

/** Legacy Verify: an account's api key and secret, neither empty. */
export interface LegacyCredentials {
  apiKey: string;
  apiSecret: string;
}

export function parseApiHost(raw: string | undefined): string {
  const value = raw ?? 'https://api.nexmo.com';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`VONAGE_API_HOST must be a URL such as https://api.nexmo.com, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`VONAGE_API_HOST must start with https:// or http://, got "${value}"`);
  }
  // The SDK builds `${apiHost}/v2/verify`: a trailing slash would double up.
  return value.replace(/\/+$/, '');
}

export const MAX_BRAND_LENGTH = 18;

/**
 * VONAGE_BRAND (already trimmed, never empty): at most 18 characters, as Vonage allows. Vonage v2
 * answers 422 to any of `/ { } : $` (a backslash too), so those are dropped rather than refused.
 */
export function parseBrand(raw: string): string {
  if (raw.length > MAX_BRAND_LENGTH) {
    throw new Error(`VONAGE_BRAND must be at most ${MAX_BRAND_LENGTH} characters, got ${raw.length}`);
  }
  const brand = raw.replace(/[\\/{}:$]/g, '').trim();
  return brand.length > 0 ? brand : 'Verify';
}

// A PEM string (literal newlines or `\n` escapes, as .env files often hold it) or a path to one.
export function loadPrivateKey(raw: string): string {
  let pem: string;
  if (raw.includes('-----BEGIN')) {
    pem = raw.replace(/\\n/g, '\n');
  } else {
    try {
      pem = readFileSync(raw, 'utf8');
    } catch {
      throw new Error('VONAGE_PRIVATE_KEY is neither a PEM key nor a readable file path');
    }
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    throw new Error('VONAGE_PRIVATE_KEY is not a valid PEM private key');
  }
  // Vonage signs application JWTs with RS256.
  if (type !== 'rsa') throw new Error(`VONAGE_PRIVATE_KEY must be an RSA private key, got ${type ?? 'an unknown'} key`);
  return pem;
}
