// The rows of the table: each warms up, then drives one server with autocannon for the same
// duration and connections.
import type { RequestSpec } from 'autocannon';
import { load } from './load.ts';
import type { LoadOptions, LoadResult } from './load.ts';
import { benchAccount } from './fixture.ts';
import { PROXY_HEADERS, loginForm } from './signin-flow.ts';
import type { CsrfPair } from './signin-flow.ts';
import type { BenchServer } from './servers.ts';

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
}

/** What a row asks for: the URL and the requests, without the load's size. */
export type Target = Omit<LoadOptions, 'connections' | 'durationS'>;

/** Warm up (JIT, caches, SQLite pages), then measure, with the server's CPU time per response. */
export async function measure(settings: LoadSettings, server: BenchServer, target: Target): Promise<LoadResult> {
  if (settings.warmupS > 0) await load({ ...target, connections: settings.connections, durationS: settings.warmupS });
  return withServerCpu(server, () => load({ ...target, connections: settings.connections, durationS: settings.durationS }));
}

export async function withServerCpu(server: BenchServer, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = (await server.stats()).cpuUs;
  const result = await run();
  const used = (await server.stats()).cpuUs - before;
  return { ...result, cpuUsPerRequest: used / result.responses };
}

export const bareRoot = (url: string): Target => ({ url: `${url}/` });

/** (1) The protected home page, as a signed-in browser asks for it (session and CSRF cookies). */
export const signedInHome = (url: string, cookie: string): Target => ({
  url: `${url}/`,
  headers: { ...PROXY_HEADERS, cookie },
});

/** (2) The same page from a visitor with no cookies: the 303 to /login. */
export const anonymousHome = (url: string): Target => ({ url: `${url}/`, headers: PROXY_HEADERS });

/**
 * (3) Real password-step forms: the right password for a different bench account each time
 * (Verify refuses a second running verification to one number), one reused CSRF pair, and a
 * different X-Forwarded-For each time so the per-IP limit (20 a minute) does not answer 429.
 * The per-account limit counts failures only, so it never triggers on these.
 */
export function passwordStep(url: string, csrf: CsrfPair, nextAccount: () => number): Target {
  let sent = 0;
  const request: RequestSpec = {
    method: 'POST',
    path: '/login',
    setupRequest(req) {
      sent += 1;
      return {
        ...req,
        headers: {
          ...PROXY_HEADERS,
          'x-forwarded-for': `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent & 255}`,
          cookie: csrf.cookie,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: loginForm(csrf, benchAccount(nextAccount()).email),
      };
    },
  };
  return { url, requests: [request] };
}

/**
 * (3) The protected page at a fixed rate, measured alone and while the password step runs: at a
 * fixed rate its p99 shows how long a request waits for the event loop (or for a CPU core).
 */
export async function homeWhilePasswordStep(
  settings: LoadSettings,
  server: BenchServer,
  home: Target,
  ratePerS: number,
  password: Target,
): Promise<{ idle: LoadResult; underLoad: LoadResult; passwordUnderLoad: LoadResult }> {
  const paced = { ...home, overallRate: ratePerS, connections: settings.connections };
  await load({ ...paced, durationS: settings.warmupS });
  const idle = await withServerCpu(server, () => load({ ...paced, durationS: settings.durationS }));
  const [underLoad, passwordUnderLoad] = await Promise.all([
    load({ ...paced, durationS: settings.durationS }),
    load({ ...password, connections: settings.connections, durationS: settings.durationS }),
  ]);
  return { idle, underLoad, passwordUnderLoad };
}
