// Release, then answer: a lock a request holds (a pending sign-in's Verify lock) is released
// before the request's answer is written, whichever way the answer is sent (a page, a redirect,
// an error page), so a browser that acts on the answer at once (the right code after a resend,
// possibly on another instance) never finds the lock still held. Released in an onSend hook that
// runs after @fastify/session's (register this after the session plugin): the session is saved
// first, so the next request finds both done.
import type { FastifyInstance, FastifyRequest } from 'fastify';

type Release = () => Promise<void>;
const HELD = Symbol('locks released before the answer');
type Holding = FastifyRequest & { [HELD]: Release[] | null };

/** Registers the hook; returns `track`, which ties a release to a request and returns it, safe to call again. */
export function releaseBeforeAnswer(app: FastifyInstance): (request: FastifyRequest, release: Release) => Release {
  app.decorateRequest(HELD, null);
  // A callback hook: the usual answer, holding no lock, goes on without a promise.
  app.addHook('onSend', (request, _reply, _payload, done) => {
    const held = (request as Holding)[HELD];
    if (!held) return done();
    Promise.all(held.map((release) => release())).then(() => done(), done);
  });
  return (request, release) => {
    let released: Promise<void> | undefined;
    const once = () => (released ??= release());
    ((request as Holding)[HELD] ??= []).push(once);
    return once;
  };
}
