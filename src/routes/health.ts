import type { FastifyInstance } from 'fastify';
import type { Database } from 'better-sqlite3';

export default async function healthRoutes(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  const ping = db.prepare('SELECT 1');
  app.get('/healthz', async (request, reply) => {
    try {
      ping.get();
      return { status: 'ok' };
    } catch (err) {
      request.log.error({ err: (err as Error).message }, 'health check: database did not answer');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable' });
    }
  });
}
