// GET /healthz: each backend in use and whether it answers; 503 (with Retry-After) when one does not.
import type { FastifyInstance } from 'fastify';

export default async function healthRoutes(
  app: FastifyInstance,
  { health }: { health: () => Promise<Record<string, 'ok' | 'unavailable'>> },
): Promise<void> {
  app.get('/healthz', async (request, reply) => {
    const backends = await health();
    const down = Object.entries(backends).filter(([, state]) => state !== 'ok').map(([name]) => name);
    if (down.length === 0) return { status: 'ok', ...backends };
    request.log.error({ down }, 'health check: a backend did not answer');
    return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', ...backends });
  });
}
