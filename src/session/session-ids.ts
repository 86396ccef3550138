// Session IDs: 24 random bytes, base64url (as @fastify/session makes them). A sign-in step can
// reserve the next ID of a request before rotating, so that the ending of the old session can
// name its successor in the same atomic step.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const reserved = new WeakMap<FastifyRequest, string>();

export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** The ID this request's next `session.regenerate()` will use. */
export function reserveSessionId(request: FastifyRequest): string {
  const id = newSessionId();
  reserved.set(request, id);
  return id;
}

/** @fastify/session's `idGenerator`: a reserved ID once, else a fresh one. */
export function sessionIdGenerator(request?: FastifyRequest): string {
  const id = request && reserved.get(request);
  if (!id) return newSessionId();
  reserved.delete(request as FastifyRequest);
  return id;
}
