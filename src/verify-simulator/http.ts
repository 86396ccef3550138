// HTTP plumbing for the simulator: bounded body reading, JSON/form parsing and replies.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimReply } from './state.ts';

const MAX_BODY = 64 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseBody(raw: string, contentType: string): { body: unknown; invalid: boolean } {
  if (raw.trim() === '') return { body: undefined, invalid: false };
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return { body: Object.fromEntries(new URLSearchParams(raw)), invalid: false };
  }
  try {
    return { body: JSON.parse(raw) as unknown, invalid: false };
  } catch {
    return { body: undefined, invalid: true };
  }
}

export function masked(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('api_secret' in body)) return body;
  return { ...body, api_secret: '***' };
}

export function send(res: ServerResponse, reply: SimReply): void {
  if (res.destroyed || res.headersSent) return;
  const text =
    reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(text) };
  if (text !== '') headers['content-type'] = reply.contentType ?? 'application/json';
  res.writeHead(reply.status, headers);
  res.end(text);
}
