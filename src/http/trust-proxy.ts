// TRUST_PROXY → Fastify's `trustProxy`, refusing the values that would quietly make `request.ip`
// (the rate-limit key and the audit log's address) and `request.protocol` (Secure cookies) wrong.
import proxyAddr from '@fastify/proxy-addr';

const SAFE_FORMS = "the proxy's addresses or ranges, e.g. 127.0.0.1, 10.0.0.0/8 or loopback";

/** Throws an Error naming TRUST_PROXY; returns false, true (outside production) or a clean list. */
export function parseTrustProxy(raw: string | undefined, production: boolean): boolean | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') {
    // `true` takes the left-most X-Forwarded-For, which the client writes: anyone could pose as
    // any address and spread guesses over "addresses" past the per-address limit.
    if (production) throw new Error(`TRUST_PROXY=true is refused in production (any client could forge its address); set ${SAFE_FORMS}`);
    return true;
  }
  // Fastify 5 treats a hop count as "trust nothing" (it cannot tell a proxy from a client that
  // sends its own X-Forwarded-For): refuse it rather than silently break HTTPS detection.
  if (/^\d+$/.test(raw)) {
    throw new Error(`TRUST_PROXY must be true or the proxy's addresses (e.g. 127.0.0.1, loopback, 10.0.0.0/8), not a hop count ("${raw}")`);
  }
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    // The same parser Fastify hands the list to, so a typo stops the start here, naming the
    // variable, instead of as proxy-addr's bare "invalid IP address" from inside Fastify().
    try {
      proxyAddr.compile(entry);
    } catch {
      throw new Error(`TRUST_PROXY: "${entry}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal; set ${SAFE_FORMS}`);
    }
  }
  if (entries.length === 0) throw new Error(`TRUST_PROXY has no addresses ("${raw}"); set ${SAFE_FORMS}, or leave it unset`);
  return entries.join(',');
}

/** Addresses remembered at most; past this the cache starts over (X-Forwarded-For is client-written). */
const MAX_CACHED_ADDRESSES = 10_000;

/**
 * Fastify's `trustProxy` option. An address list becomes a function that remembers its answer
 * per address: Fastify asks it on every `request.protocol` (read by @fastify/session on each
 * response) and `request.ip`, and the compiled list re-parses the address each time. The answer
 * for an address never changes (the list ignores the hop number), so caching it is exact.
 */
export function trustProxyOption(value: boolean | string): boolean | ((address: string, hop: number) => boolean) {
  if (typeof value === 'boolean') return value;
  const trusted = proxyAddr.compile(value.split(','));
  const answers = new Map<string, boolean>();
  return (address: string, hop: number) => {
    let answer = answers.get(address);
    if (answer === undefined) {
      answer = trusted(address, hop);
      if (answers.size >= MAX_CACHED_ADDRESSES) answers.clear();
      answers.set(address, answer);
    }
    return answer;
  };
}
