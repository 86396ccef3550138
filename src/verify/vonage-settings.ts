// VONAGE_API_HOST and VONAGE_PRIVATE_KEY as the SDK needs them. Errors are plain and name the
// variable; loadConfig turns them into ConfigErrors.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

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
  try {
    createPrivateKey(pem);
  } catch {
    throw new Error('VONAGE_PRIVATE_KEY is not a valid PEM private key');
  }
  return pem;
}
