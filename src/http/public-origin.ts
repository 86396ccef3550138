// PUBLIC_ORIGIN: the origin users type. Never taken from a request's Host header (a client writes
// that); production's plain-HTTP requests are sent here, and passkeys bind to its host name.

export interface PublicOrigin {
  /** `https://app.example.com` (scheme, host, and port when not the default): no path, no slash. */
  origin: string;
  /** `app.example.com`, or `localhost:3000` when a port is part of the origin (URL's `host`). */
  host: string;
  /** `app.example.com`, never a port: the passkeys' relying party ID. */
  hostname: string;
}

const EXAMPLE = 'e.g. https://app.example.com';

/** Throws an Error naming PUBLIC_ORIGIN; outside production the default is `http://localhost:PORT`. */
export function parsePublicOrigin(raw: string | undefined, production: boolean, port: number): PublicOrigin {
  if (raw === undefined) {
    if (production) throw new Error(`PUBLIC_ORIGIN is required in production: the https origin users type, ${EXAMPLE}`);
    return parsePublicOrigin(`http://localhost:${port}`, false, port);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`PUBLIC_ORIGIN must be an origin, ${EXAMPLE}, got "${raw}"`);
  }
  const schemes = production ? ['https:'] : ['https:', 'http:'];
  if (!schemes.includes(url.protocol)) {
    throw new Error(`PUBLIC_ORIGIN must start with ${production ? 'https:// in production' : 'https:// or http://'}, got "${raw}"`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash || raw.endsWith('?') || raw.endsWith('#')) {
    throw new Error(`PUBLIC_ORIGIN must be an origin with no path, query or credentials, ${EXAMPLE}, got "${raw}"`);
  }
  return { origin: url.origin, host: url.host, hostname: url.hostname };
}
