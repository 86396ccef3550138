// Odd request targets, written by hand on a raw socket (fetch and app.inject only send paths).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOriginForm } from '../../src/http/request-target.ts';
import { ALICE, startTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { createCookieJar } from '../helpers/cookie-jar.ts';

/** Sends `head` (CRLF line endings added) and `body`; resolves with everything read until the server closes
 * (the head must say `Connection: close`; ending our side first would make Node abort the request). */
function rawRequest(port: number, head: string[], body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head.join('\r\n')}\r\n\r\n${body}`));
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (response += chunk));
    socket.on('close', () => resolve(response));
    socket.on('error', reject);
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

describe('request targets', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ api: 'v2' });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(() => t.close());

  /** The headers and form of a browser that has just loaded /login, posting Alice's right password. */
  async function rightPasswordForm() {
    const url = `http://127.0.0.1:${port}/login`;
    const page = await fetch(url);
    const jar = createCookieJar(url);
    jar.storeHeaders(url, page.headers.getSetCookie());
    const cookie = jar.header(url);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
    const body = new URLSearchParams({ _csrf: csrf, email: ALICE.email, password: ALICE.password }).toString();
    const headers = [`Host: 127.0.0.1:${port}`, `Cookie: ${cookie}`, 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${body.length}`, 'Connection: close'];
    return { headers, body };
  }

  it('an absolute-form POST /login answers 400 with a page, and no code is sent', async () => {
    const { headers, body } = await rightPasswordForm();
    const response = await rawRequest(port, [`POST http://127.0.0.1:${port}/login HTTP/1.1`, ...headers], body);
    expect(statusOf(response)).toBe(400);
    expect(response).toMatch(/content-type: text\/html/i);
    expect(response).toContain('That request was not understood');
    expect(response).toMatch(/content-security-policy: /i); // the security headers hook ran first
    expect(t.sim.sent).toHaveLength(0);
  });

  it.each([
    ['an absolute-form GET', (p: number) => `GET http://127.0.0.1:${p}/login HTTP/1.1`],
    ['an absolute-form target naming another host', () => 'GET http://evil.example/ HTTP/1.1'],
    ['an absolute-form target without a path', (p: number) => `GET http://127.0.0.1:${p} HTTP/1.1`],
    ['GET *', () => 'GET * HTTP/1.1'],
    ['POST *', () => 'POST * HTTP/1.1'],
  ])('%s answers 400', async (_name, line) => {
    const response = await rawRequest(port, [line(port), `Host: 127.0.0.1:${port}`, 'Connection: close']);
    expect(statusOf(response)).toBe(400);
  });

  it('a target that does not start with / answers 400 (from Node\'s parser)', async () => {
    const response = await rawRequest(port, ['GET login HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: close']);
    expect(statusOf(response)).toBe(400);
  });

  it('OPTIONS * is left to routing, and is not a 5xx', async () => {
    const status = statusOf(await rawRequest(port, ['OPTIONS * HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: close']));
    expect(status).toBeGreaterThanOrEqual(200);
    expect(status).toBeLessThan(500);
  });

  it('the same request with a path still signs in', async () => {
    const { headers, body } = await rightPasswordForm();
    const response = await rawRequest(port, ['POST /login HTTP/1.1', ...headers], body);
    expect(statusOf(response)).toBe(303);
    expect(response).toMatch(/location: \/login\/code/i);
  });

  it('isOriginForm: paths, and * only for OPTIONS', () => {
    expect(isOriginForm({ method: 'GET', url: '/' })).toBe(true);
    expect(isOriginForm({ method: 'GET', url: '/login?next=%2F' })).toBe(true);
    expect(isOriginForm({ method: 'OPTIONS', url: '*' })).toBe(true);
    expect(isOriginForm({ method: 'GET', url: '*' })).toBe(false);
    expect(isOriginForm({ method: 'GET', url: 'http://host/' })).toBe(false);
    expect(isOriginForm({ method: 'GET', url: 'login' })).toBe(false);
    expect(isOriginForm({ method: 'GET', url: '' })).toBe(false);
  });
});
