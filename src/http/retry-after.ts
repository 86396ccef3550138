import type { FastifyReply } from 'fastify';

/** `Retry-After` in whole seconds (at least 1), for 429 and 503 answers. */
export function setRetryAfter(reply: FastifyReply, ms: number): void {
  reply.header('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
}
