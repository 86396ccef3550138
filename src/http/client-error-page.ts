// Errors Node's HTTP parser raises before a request exists (a Cookie header over 16 KB, a header
// line that is not HTTP, a request that never finished arriving) never reach routing, hooks or the
// error handler: Fastify's `clientErrorHandler` option gets the bare socket. Fastify's default
// answers them with JSON; this one with a small page in the app's styling, saying why, with the
// status Node would use, and closes the connection (the parser cannot go on after such an error).
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

interface Explained {
  status: number;
  heading: string;
  message: string;
}

const MALFORMED: Explained = {
  status: 400,
  heading: 'That request was not understood',
  message: 'Your browser sent something this site cannot read. Reload the page; if that does not help, clear this site’s cookies and try again.',
};

/** Node's error codes, mapped as Node's own handler maps them (lib/_http_server.js). */
const BY_CODE: Record<string, Explained> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    heading: 'Too much sent with the request',
    message: 'Your browser sent more cookies or headers than we accept. Clear this site’s cookies and try again.',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, heading: 'Too much data', message: 'The request sent more data than we accept.' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    heading: 'The request took too long',
    message: 'Your request did not arrive in time. Please check your connection and try again.',
  },
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The page, as templates/layout.eta and templates/error.eta would render it (no session, no form). */
export function clientErrorPage(brand: string, { heading, message }: Explained): string {
  const [b, h, m] = [brand, heading, message].map(escapeHtml);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${h} · ${b}</title>
  <link rel="stylesheet" href="/static/app.css">
</head>
<body>
  <main class="card">
    <p class="brand">${b}</p>
    <h1>${h}</h1>
    <p class="error" role="alert">${m}</p>
    <p><a href="/login">Back to sign in</a></p>
  </main>
</body>
</html>
`;
}

/**
 * Fastify's `clientErrorHandler` option. `headers` are the app's security headers (CSP and the
 * rest), sent with these pages as with every other. Logs the status and Node's error code only:
 * the error carries the raw bytes received (`rawPacket`), cookies included.
 */
export function clientErrorPages(brand: string, headers: Record<string, string>) {
  const pages = new Map<number, Buffer>();
  const common = Object.entries({ ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
    // A reset connection has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const explained = (error.code && BY_CODE[error.code]) || MALFORMED;
    const { status } = explained;
    this.log.info({ status, code: error.code }, 'client error before routing');
    // As Node does: write only when no answer to an earlier request on this socket is under way.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      let body = pages.get(status);
      if (!body) pages.set(status, (body = Buffer.from(clientErrorPage(brand, explained))));
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${common}content-length: ${body.length}\r\n\r\n`);
      socket.write(body);
    }
    socket.destroy(error);
  };
}
