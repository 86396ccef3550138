// The child side of a bench server: listen on a free loopback port, tell the parent which one,
// answer its questions (memory, CPU time used, a CPU profile) and close cleanly when asked (so `--cpu-prof` writes its file).
import { writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export type ToChild =
  | { type: 'stats'; gc: boolean }
  | { type: 'stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string };
export type FromChild =
  | { type: 'ready'; port: number; threadPoolSize: string }
  | { type: 'stats'; rss: number; heapUsed: number; cpuUs: number }
  | { type: 'profiled' }
  | { type: 'failed'; message: string };

export async function serveForParent(start: () => Promise<FastifyInstance>): Promise<void> {
  const send = (message: FromChild) => process.send?.(message);
  let app: FastifyInstance;
  try {
    app = await start();
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    send({ type: 'failed', message: (error as Error).stack ?? String(error) });
    process.exit(1);
  }
  const { port } = app.server.address() as AddressInfo;
  send({ type: 'ready', port, threadPoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)' });

  const inspector = new Inspector();
  process.on('message', async (message: ToChild) => {
    if (message.type === 'profile-start') {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
      await inspector.post('Profiler.start');
      send({ type: 'profiled' });
    } else if (message.type === 'profile-stop') {
      const { profile } = await inspector.post('Profiler.stop');
      inspector.disconnect();
      writeFileSync(message.file, JSON.stringify(profile));
      send({ type: 'profiled' });
    } else if (message.type === 'stats') {
      const { user, system } = process.cpuUsage();
      if (message.gc) globalThis.gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'stats', rss, heapUsed, cpuUs: user + system });
    } else if (message.type === 'stop') {
      void app.close().finally(() => process.exit(0));
    }
  });
  // The parent died without saying goodbye: do not linger.
  process.on('disconnect', () => process.exit(0));
}
