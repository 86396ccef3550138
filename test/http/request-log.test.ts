// Request log lines: each request's logger is made only when it writes, with the same request id.
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { RequestLinesAtDebug, lazyChildLogger } from '../../src/http/request-log.ts';

function appLogging(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const app = Fastify({
    logger: { level, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    logController: new RequestLinesAtDebug(),
    childLoggerFactory: lazyChildLogger,
  });
  let children = 0;
  const child = app.log.child;
  // Children of children inherit this too: count only the per-request ones (bound to a reqId).
  app.log.child = function (this: typeof app.log, ...args: Parameters<typeof child>) {
    if ('reqId' in args[0]) children++;
    return child.apply(this, args);
  };
  return { app, lines, children: () => children };
}

describe('request logging', () => {
  it('makes no child logger for a request that writes nothing', async () => {
    const { app, lines, children } = appLogging('info');
    app.get('/', async () => 'ok');
    for (let i = 0; i < 3; i++) expect((await app.inject('/')).statusCode).toBe(200);
    expect(children()).toBe(0);
    expect(lines.filter((line) => line.reqId !== undefined)).toEqual([]);
  });

  it("writes a request's lines with its request id, one child per request, at the levels that are on", async () => {
    const { app, lines, children } = appLogging('info');
    app.get('/', async (request) => {
      request.log.debug('not written');
      request.log.info({ step: 1 }, 'first');
      request.log.warn('second');
      expect((request.log as typeof request.log & { isLevelEnabled(l: string): boolean }).isLevelEnabled('debug')).toBe(false);
      expect(request.log.level).toBe('info');
      request.log.child({ part: 'x' }).error('from a grandchild');
      return 'ok';
    });
    await app.inject('/');
    await app.inject('/');
    expect(children()).toBe(2);
    const written = lines.filter((line) => line.reqId !== undefined);
    expect(written.map((line) => line.msg)).toEqual(['first', 'second', 'from a grandchild', 'first', 'second', 'from a grandchild']);
    expect(written[0]).toMatchObject({ step: 1, level: 30 });
    expect(written[2]).toMatchObject({ part: 'x', level: 50 });
    expect(new Set(written.map((line) => line.reqId)).size).toBe(2);
    expect(written[0].reqId).toBe(written[1].reqId);
  });

  it('at debug, shows both request lines again, from the same request id', async () => {
    const { app, lines } = appLogging('debug');
    app.get('/', async () => 'ok');
    await app.inject('/');
    const written = lines.filter((line) => line.reqId !== undefined);
    expect(written.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(written[0].reqId).toBe(written[1].reqId);
  });

  it('a route with its own log level gets a real child at once', async () => {
    const { app, lines } = appLogging('info');
    app.get('/', { logLevel: 'debug' }, async (request) => {
      request.log.debug('route debug');
      return 'ok';
    });
    await app.inject('/');
    expect(lines.map((line) => line.msg)).toContain('route debug');
  });
});
