import { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify's two lines per request ("incoming request", "request completed") at debug instead of
 * info: at info they are two serialized, synchronous log writes per request, about a tenth of a
 * page's CPU time. Errors keep their level (and our error handler logs client errors and faults
 * itself); LOG_LEVEL=debug shows every request again.
 */
export class RequestLinesAtDebug extends LogController {
  incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) return super.requestCompleted(error, request, reply, metadata);
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
