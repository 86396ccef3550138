// The ceiling: Fastify with one route returning a short body, nothing registered, no logging.
import Fastify from 'fastify';
import { serveForParent } from './child-ipc.ts';

await serveForParent(async () => {
  const app = Fastify({ logger: false });
  app.get('/', async () => 'hello world');
  return app;
});
