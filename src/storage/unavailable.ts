// A backend that does not answer (PostgreSQL or Redis stopped, a connection cut) is a 503 with
// Retry-After, never a 500: the request may simply be tried again once it is back.

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  readonly backend: 'database' | 'redis';
  constructor(backend: 'database' | 'redis', cause: unknown) {
    super(`${backend} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.backend = backend;
  }
}

// Socket-level failures, PostgreSQL's connection and shutdown classes (08xxx, 57P0x), and the
// errors ioredis and pg raise on a closed or never-opened connection.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03']);
const MESSAGES = /Connection terminated|Connection is closed|connect ECONNREFUSED|Client has encountered a connection error|timeout exceeded when trying to connect|MaxRetriesPerRequest|Stream isn't writeable|Cannot use a pool after calling end/i;

export function isBackendUnavailable(error: unknown): boolean {
  if (error instanceof BackendUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
  return MESSAGES.test(error.message) || (error.cause !== undefined && error.cause !== error && isBackendUnavailable(error.cause));
}
