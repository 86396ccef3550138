// Goes through the real sign-in once, like a browser: GET /login for the CSRF cookie and token,
// POST /login, POST /login/code with the code the simulator "sent". Returns the cookies a
// signed-in browser then sends on every page.
import type { VerifySimulator } from '../src/verify-simulator/index.ts';
import { BENCH_PASSWORD, benchAccount } from './fixture.ts';

/** Headers a TLS-terminating proxy adds (the app runs with TRUST_PROXY=1). */
export const PROXY_HEADERS = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.1' };

export interface CsrfPair {
  /** `__Host-csrf=…`, the signed secret cookie. */
  cookie: string;
  /** The hidden form field's value. */
  token: string;
}

export async function fetchCsrfPair(baseUrl: string): Promise<CsrfPair> {
  const response = await fetch(`${baseUrl}/login`, { headers: PROXY_HEADERS });
  const html = await response.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookie = cookiesOf(response).find((c) => c.startsWith('__Host-csrf='));
  if (!token || !cookie) throw new Error(`GET /login gave no CSRF pair (status ${response.status})`);
  return { cookie, token };
}

export function loginForm(csrf: CsrfPair, email: string, password = BENCH_PASSWORD): string {
  return new URLSearchParams({ _csrf: csrf.token, email, password }).toString();
}

/** The `Cookie` header of a browser signed in as bench account `accountIndex`. */
export async function signInOnce(baseUrl: string, sim: VerifySimulator, accountIndex: number): Promise<string> {
  const csrf = await fetchCsrfPair(baseUrl);
  const account = benchAccount(accountIndex);
  const post = (path: string, cookie: string, body: string) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...PROXY_HEADERS, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });

  const password = await post('/login', csrf.cookie, loginForm(csrf, account.email));
  const pendingSid = cookiesOf(password).find((c) => c.startsWith('__Host-sid='));
  if (password.status !== 303 || !pendingSid) throw new Error(`POST /login answered ${password.status}`);

  const code = sim.lastCode(account.phone);
  if (!code) throw new Error('the simulator sent no code');
  const body = new URLSearchParams({ _csrf: csrf.token, code }).toString();
  const codeStep = await post('/login/code', `${csrf.cookie}; ${pendingSid}`, body);
  const signedInSid = cookiesOf(codeStep).find((c) => c.startsWith('__Host-sid='));
  if (codeStep.status !== 303 || !signedInSid) throw new Error(`POST /login/code answered ${codeStep.status}`);
  // Follow the 303 as a browser does: the first page after a first sign-in shows the account's
  // new recovery codes once, and the measured page (and its same-bytes copy) is every later one.
  const cookie = `${csrf.cookie}; ${signedInSid}`;
  const landing = await fetch(`${baseUrl}${codeStep.headers.get('location') ?? '/'}`, {
    redirect: 'manual',
    headers: { ...PROXY_HEADERS, cookie },
  });
  await landing.arrayBuffer();
  if (landing.status !== 200) throw new Error(`the page after sign-in answered ${landing.status}`);
  return cookie;
}

/** What one GET sends back: status, and the names of the cookies it sets (should be none). */
export async function probe(url: string, cookie?: string): Promise<{ status: number; setCookies: string[] }> {
  const response = await fetch(url, { redirect: 'manual', headers: { ...PROXY_HEADERS, ...(cookie ? { cookie } : {}) } });
  await response.arrayBuffer();
  return { status: response.status, setCookies: cookiesOf(response).map((c) => c.split('=')[0]) };
}

/** `name=value` of each Set-Cookie. */
function cookiesOf(response: Response): string[] {
  return response.headers.getSetCookie().map((header) => header.split(';')[0]);
}
