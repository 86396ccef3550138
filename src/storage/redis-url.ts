// REDIS_URL: redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS). The value is never echoed
// in an error: it may hold a password.
const EXAMPLE = 'e.g. redis://127.0.0.1:6379 or redis://127.0.0.1:6379/2';

export function parseRedisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`REDIS_URL is not a URL; ${EXAMPLE}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`REDIS_URL must start with redis:// or rediss://; ${EXAMPLE}`);
  if (!url.hostname) throw new Error(`REDIS_URL names no host; ${EXAMPLE}`);
  if (!/^\/?(\d{1,2})?$/.test(url.pathname)) throw new Error(`REDIS_URL: the path must be a database number (0-15); ${EXAMPLE}`);
  return raw;
}
