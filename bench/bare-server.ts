// The ceiling: Fastify with one route returning a short body, nothing registered, no logging.
// `/page` replays a captured response of our app (BENCH_PAGE: its headers and body) with no work at
// all: what answering with those bytes alone costs.
import Fastify from 'fastify';
import { serveForParent } from './child-ipc.ts';

const page = process.env.BENCH_PAGE ? (JSON.parse(process.env.BENCH_PAGE) as { headers: Record<string, string>; body: string }) : undefined;

await serveForParent(async () => {
  const app = Fastify({ logger: false });
  app.get('/', async () => 'hello world');
  if (page) app.get('/page', async (_request, reply) => reply.headers(page.headers).send(page.body));
  return app;
});
