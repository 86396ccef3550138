// Errors Node's HTTP parser raises before routing get the app's error page, with the status Node
// would use, the app's headers, and the connection closed: over a real socket, with raw requests.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useTestApps } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const startApp = useTestApps();

async function listening(t: TestApp): Promise<number> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return (t.app.server.address() as { port: number }).port;
}

/** Writes `text` (and leaves the request unfinished); resolves with all that came back once the server closed. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (response += chunk));
    socket.on('close', () => resolve(response));
    socket.on('error', (error) => (response ? undefined : reject(error)));
    setTimeout(() => socket.destroy(new Error(`still open after 5 s; got: ${response}`)), 5000).unref();
  });
}

function parse(response: string) {
  const [head, body = ''] = response.split('\r\n\r\n', 2);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('errors raised before routing are pages', () => {
  it('a Cookie header over 16 KB gets a 431 page saying to clear cookies, and never logs the cookie', async () => {
    const t = await startApp({ api: 'v2' });
    const port = await listening(t);
    const secret = 'tracking-value-'.repeat(1200); // 18 KB
    const res = parse(await rawRequest(port, `GET /login HTTP/1.1\r\nHost: localhost\r\nCookie: big=${secret}\r\n\r\n`));
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers.connection).toBe('close');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(Buffer.byteLength(res.body)).toBe(Number(res.headers['content-length']));
    expect(res.body).toContain('<link rel="stylesheet" href="/static/app.css">');
    expect(res.body).toContain('Clear this site’s cookies');
    expect(res.body).toContain('<a href="/login">');
    expect(t.logs.join('')).toContain('"status":431');
    expect(t.logs.join('')).not.toContain('tracking-value');
  });

  it('a header line that is not HTTP gets a 400 page', async () => {
    const t = await startApp({ api: 'v2' });
    const port = await listening(t);
    const res = parse(await rawRequest(port, 'GET /login HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n'));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('That request was not understood');
  });

  it('a chunk extension over 16 KB gets a 413 page', async () => {
    const t = await startApp({ api: 'v2' });
    const port = await listening(t);
    const head = 'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n';
    const res = parse(await rawRequest(port, `${head}1;ext=${'x'.repeat(20_000)}\r\na\r\n`));
    expect(res.status).toBe(413);
    expect(res.body).toContain('Too much data');
  });

  it('a request that stops arriving gets a 408 page once the headers timeout passes', async () => {
    const t = await startApp({ api: 'v2', build: { serverTimeouts: { requestTimeout: 1000, headersTimeout: 300, connectionsCheckingInterval: 100 } } });
    const port = await listening(t);
    const res = parse(await rawRequest(port, 'GET /login HTTP/1.1\r\nHost: localhost\r\n'));
    expect(res.status).toBe(408);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('The request took too long');
  });
});
