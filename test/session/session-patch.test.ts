// patches/@fastify+session+11.1.3.patch: @fastify/session hashes a session (stringify + SHA-256)
// only once it has been touched, instead of twice on every request. These tests drive the real
// plugin (with @fastify/cookie, through Fastify) to show the patch is in effect and that every
// change is still saved and nothing else is.
import { createRequire } from 'node:module';
import { types } from 'node:util';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { FastifySessionObject } from '@fastify/session';
import type { FastifyRequest, Session } from 'fastify';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);
// The very module object the plugin's lib/session.js calls `crypto.createHash` on.
const nodeCrypto: typeof import('node:crypto') = require('node:crypto');
// The plugin's Session class (not exported by its index), for the tests below the app's.
const SessionClass: new (...args: unknown[]) => Loose = require('@fastify/session/lib/session.js');

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const HOUR = 60 * 60 * 1000;

/** What the seeding request writes; its shape ends up in the store as JSON. */
const seed = () => ({
  signedIn: { userId: 1, epoch: 123456789, signedInAt: 1764200000000, seenAt: 1764200000000 },
  obj: { a: { b: 0, c: 1 } },
  list: [1, { deep: [2] }],
  when: new Date(1764200000000),
  n: 1,
});
type Data = ReturnType<typeof seed>;
/** A session holding `Data`, open to any other key. */
type Loose = Data &
  Record<string, unknown> &
  Omit<FastifySessionObject, 'get' | 'set'> & { get(key: string): unknown; set(key: string, value: unknown): void };

/** ISO timestamps come back as Dates, as from a store that keeps types (the cookie's expiry too). */
const revive = (_key: string, value: unknown) =>
  typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) ? new Date(value) : value;

/** A store that keeps JSON, like ours, and counts its writes. */
class JsonStore {
  rows = new Map<string, string>();
  sets = 0;
  /** What `set` was handed, serialised the moment it was handed. */
  received: string[] = [];
  set(sid: string, session: Session, callback: (error?: unknown) => void) {
    this.sets++;
    const json = JSON.stringify(session);
    this.received.push(json);
    this.rows.set(sid, json);
    callback();
  }
  get(sid: string, callback: (error: unknown, session?: Session | null) => void) {
    const row = this.rows.get(sid);
    callback(null, row === undefined ? null : JSON.parse(row, revive));
  }
  destroy(sid: string, callback: (error?: unknown) => void) {
    this.rows.delete(sid);
    callback();
  }
  /** The only row's data (every test keeps a single session alive). */
  only(): Record<string, unknown> {
    expect(this.rows.size).toBe(1);
    return JSON.parse([...this.rows.values()][0]);
  }
}

type Action = (session: Loose, request: FastifyRequest) => unknown;

/** An app set up as ours is (saveUninitialized and rolling off: only a change is saved). */
async function buildApp(actions: Record<string, Action>) {
  const store = new JsonStore();
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    store,
    saveUninitialized: false,
    rolling: false,
    cookie: { secure: false, maxAge: HOUR },
  });
  app.post('/seed', async (request) => {
    Object.assign(request.session, seed());
    return {};
  });
  app.post('/run/:name', async (request) => {
    const action = actions[(request.params as { name: string }).name];
    const result = await action(request.session as unknown as Loose, request);
    return { result: result ?? null };
  });
  return { app, store };
}

let hashes: string[];
beforeEach(() => {
  hashes = [];
  const createHash = nodeCrypto.createHash;
  vi.spyOn(nodeCrypto, 'createHash').mockImplementation(((algorithm: string, options?: never) => {
    hashes.push(algorithm);
    return createHash(algorithm, options);
  }) as typeof nodeCrypto.createHash);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Seeds a session, then runs one action on it in a second request; what the store saw of that one. */
async function runOn(actions: Record<string, Action>, name: string) {
  const { app, store } = await buildApp(actions);
  const seeded = await app.inject({ method: 'POST', url: '/seed' });
  const cookie = seeded.cookies.find((c) => c.name === 'sessionId')!;
  expect(store.sets).toBe(1);
  const before = store.only();
  store.sets = 0;
  store.received = [];
  hashes = [];
  const response = await app.inject({ method: 'POST', url: `/run/${name}`, cookies: { sessionId: cookie.value } });
  expect(response.statusCode).toBe(200);
  const sha256 = hashes.filter((algorithm) => algorithm === 'sha256').length;
  const newCookie = response.cookies.find((c) => c.name === 'sessionId');
  await app.close();
  return { store, before, sets: store.sets, sha256, result: response.json().result, cookie: cookie.value, newCookie };
}

describe('@fastify/session patched to hash only a touched session', () => {
  it('is the pinned version, with the patch in effect: a session is a Proxy', () => {
    expect(require('@fastify/session/package.json').version).toBe('11.1.3');
    const session = new SessionClass({}, { protocol: 'http' }, () => 'id', {}, { sign: () => 'signed' });
    expect(types.isProxy(session)).toBe(true);
    expect(session).toBeInstanceOf(SessionClass);
  });

  it('a read-only request computes no hash and saves nothing (two SHA-256s before the patch)', async () => {
    const run = await runOn(
      {
        read: (s) => [s.signedIn.userId, s.signedIn.epoch, s.signedIn.signedInAt, s.signedIn.seenAt, s.n, s.obj.a.b, s.list.length],
      },
      'read',
    );
    expect(run.result).toEqual([1, 123456789, 1764200000000, 1764200000000, 1, 0, 2]);
    expect(run.sha256).toBe(0);
    expect(run.sets).toBe(0);
  });

  it('a write costs the same hashes as before the patch: the state before, isModified, save', async () => {
    const run = await runOn({ write: (s) => void (s.n = 2) }, 'write');
    expect(run.sets).toBe(1);
    expect(run.sha256).toBe(3);
  });

  describe('every change is saved', () => {
    const cases: Record<string, [Action, (data: Record<string, unknown>) => void]> = {
      'a top-level set': [(s) => void (s.n = 2), (d) => expect(d.n).toBe(2)],
      'a new top-level key': [(s) => void (s.fresh = { x: 1 }), (d) => expect(d.fresh).toEqual({ x: 1 })],
      'a top-level delete': [(s) => void delete (s as Partial<Data>).n, (d) => expect(d).not.toHaveProperty('n')],
      'a nested set two levels down': [(s) => void (s.obj.a.b = 1), (d) => expect(d.obj).toEqual({ a: { b: 1, c: 1 } })],
      'a nested delete': [(s) => void delete (s.obj.a as Partial<Data['obj']['a']>).c, (d) => expect(d.obj).toEqual({ a: { b: 0 } })],
      'an array push': [(s) => void s.list.push(4), (d) => expect(d.list).toEqual([1, { deep: [2] }, 4])],
      'a write inside an object inside an array': [
        (s) => void (s.list[1] as { deep: number[] }).deep.push(3),
        (d) => expect(d.list).toEqual([1, { deep: [2, 3] }]),
      ],
      'an array reverse': [(s) => void s.list.reverse(), (d) => expect(d.list).toEqual([{ deep: [2] }, 1])],
      'Object.defineProperty': [
        (s) => void Object.defineProperty(s.obj, 'z', { value: 5, enumerable: true, writable: true, configurable: true }),
        (d) => expect(d.obj).toEqual({ a: { b: 0, c: 1 }, z: 5 }),
      ],
      'a Date loaded from the store, changed by its own method': [
        (s) => void s.when.setTime(0),
        (d) => expect(d.when).toBe(new Date(0).toISOString()),
      ],
      'a Date assigned, then changed by its own method': [
        (s) => {
          s.other = new Date(1);
          (s.other as Date).setTime(2);
        },
        (d) => expect(d.other).toBe(new Date(2).toISOString()),
      ],
      'a nested key named cookie (only the top-level cookie is left out)': [
        (s) => void ((s.obj as Record<string, unknown>).cookie = 1),
        (d) => expect(d.obj).toEqual({ a: { b: 0, c: 1 }, cookie: 1 }),
      ],
      'a setter on a session value': [
        (s) => {
          Object.defineProperty(s.obj, 'setB', {
            set(this: Data['obj'], value: number) {
              this.a.b = value;
            },
            configurable: true,
          });
          (s.obj as unknown as { setB: number }).setB = 6;
        },
        (d) => expect(d.obj).toEqual({ a: { b: 6, c: 1 } }),
      ],
      'session.set()': [(s) => s.set('n', 7), (d) => expect(d.n).toBe(7)],
      'a change through session.get()': [(s) => void ((s.get('obj') as Data['obj']).a.b = 8), (d) => expect(d.obj).toEqual({ a: { b: 8, c: 1 } })],
      'a change through an object read earlier in the request': [
        (s) => {
          const { a } = s.obj;
          a.c = 9;
        },
        (d) => expect(d.obj).toEqual({ a: { b: 0, c: 9 } }),
      ],
    };
    for (const [name, [action, check]] of Object.entries(cases)) {
      it(name, async () => {
        const run = await runOn({ action }, 'action');
        expect(run.sets).toBe(1);
        check(run.store.only());
      });
    }
  });

  describe('nothing unchanged is saved', () => {
    const cases: Record<string, Action> = {
      'the same number written back': (s) => void (s.n = 1),
      'the same nested value written back': (s) => void (s.obj.a.b = 0),
      'an equal object written back': (s) => void (s.signedIn = { ...s.signedIn }),
      'a Date read, not changed': (s) => s.when.getTime(),
      'a key deleted that was not there': (s) => void delete s.missing,
      'a symbol key written (not part of the data)': (s) => void ((s as unknown as Record<symbol, unknown>)[Symbol('x')] = 1),
      'the cookie changed (outside the hash, as before)': (s) => s.touch(),
      'options() (the cookie again)': (s) => s.options({ maxAge: 2 * HOUR }),
    };
    for (const [name, action] of Object.entries(cases)) {
      it(name, async () => {
        const run = await runOn({ action }, 'action');
        expect(run.sets).toBe(0);
      });
    }
  });

  it('regenerate keeps the listed keys, drops the old row, and a nested change after it is saved', async () => {
    const run = await runOn(
      {
        regenerate: async (s, request) => {
          const oldId = s.sessionId;
          await s.regenerate(['obj', 'list']);
          const fresh = request.session as unknown as Loose;
          fresh.obj.a.b = 5;
          return [oldId, fresh.sessionId];
        },
      },
      'regenerate',
    );
    const [oldId, newId] = run.result as string[];
    expect(newId).not.toBe(oldId);
    expect(run.store.rows.has(oldId)).toBe(false);
    expect(run.newCookie?.value).not.toBe(run.cookie);
    const data = run.store.only();
    expect(data.obj).toEqual({ a: { b: 5, c: 1 } });
    expect(data.list).toEqual([1, { deep: [2] }]);
    expect(data).not.toHaveProperty('signedIn');
  });

  it("works across requests on the plugin's MemoryStore, which keeps the session object itself", async () => {
    const store = new fastifySession.MemoryStore();
    const set = vi.spyOn(store, 'set');
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, store, saveUninitialized: false, rolling: false, cookie: { secure: false } });
    app.post('/count', async (request) => {
      const session = request.session as unknown as Loose & { counter?: { n: number } };
      if (session.counter === undefined) session.counter = { n: 0 };
      session.counter.n++;
      return session.counter.n;
    });
    app.get('/read', async (request) => (request.session as unknown as { counter: { n: number } }).counter.n);
    let cookie = '';
    for (let i = 1; i <= 3; i++) {
      const response = await app.inject({ method: 'POST', url: '/count', cookies: cookie ? { sessionId: cookie } : {} });
      cookie ||= response.cookies.find((c) => c.name === 'sessionId')!.value;
      expect(response.body).toBe(String(i));
    }
    expect(set).toHaveBeenCalledTimes(3);
    hashes = [];
    expect((await app.inject({ method: 'GET', url: '/read', cookies: { sessionId: cookie } })).body).toBe('3');
    expect(set).toHaveBeenCalledTimes(3);
    expect(hashes).toEqual([]);
    await app.close();
  });

  it('destroy removes the row, and nothing writes it back', async () => {
    const run = await runOn(
      {
        destroy: async (s, request) => {
          s.obj.a.b = 5;
          await s.destroy();
          return request.session === null;
        },
      },
      'destroy',
    );
    expect(run.result).toBe(true);
    expect(run.store.rows.size).toBe(0);
    expect(run.sets).toBe(0);
  });

  it('save() writes once, and the request does not write again', async () => {
    const run = await runOn(
      {
        save: async (s) => {
          s.n = 3;
          await s.save();
          return s.isModified();
        },
      },
      'save',
    );
    expect(run.result).toBe(false);
    expect(run.sets).toBe(1);
    expect(run.store.only().n).toBe(3);
  });

  it('reload reads the stored state again, and a change after it is saved', async () => {
    const run = await runOn(
      {
        reload: async (s, request) => {
          s.n = 99; // dropped by the reload
          await s.reload();
          const again = request.session as unknown as Loose;
          again.obj.a.c = 4;
          return again.n;
        },
      },
      'reload',
    );
    expect(run.result).toBe(1);
    expect(run.sets).toBe(1);
    expect(run.store.only()).toMatchObject({ n: 1, obj: { a: { b: 0, c: 4 } } });
  });

  it('an object read twice is the same object, at every depth; through get() too', async () => {
    const run = await runOn(
      {
        identity: (s) => [
          s.obj === s.obj,
          s.obj.a === s.obj.a,
          s.list === s.list,
          s.list[1] === s.list[1],
          s.get('obj') === s.obj,
          s.when === s.when,
          s.cookie === s.cookie,
          Array.isArray(s.list),
        ],
      },
      'identity',
    );
    expect(run.result).toEqual([true, true, true, true, true, true, true, true]);
  });

  it('the session reads as the same JSON, keys and copies as without the patch', async () => {
    const run = await runOn(
      {
        json: (s) => {
          const forIn: string[] = [];
          for (const key in s) forIn.push(key);
          const { cookie, ...data } = s; // how our stores' serializeSession copies it
          return {
            json: JSON.stringify(s),
            // The same data in plain objects, in the order an unpatched Session holds it: the
            // constructor sets the cookie, then copies the stored keys in their order.
            plain: JSON.stringify({ cookie, ...seed() }),
            keys: Object.keys(s),
            forIn,
            spread: JSON.stringify({ cookie, ...data }),
            entries: JSON.stringify(Object.fromEntries(Object.entries(s))),
          };
        },
      },
      'json',
    );
    const { json, plain, keys, forIn, spread, entries } = run.result as Record<string, string | string[]>;
    expect(json).toBe(plain);
    expect(spread).toBe(plain);
    expect(entries).toBe(plain);
    expect(keys).toEqual(['cookie', 'signedIn', 'obj', 'list', 'when', 'n']);
    expect(forIn).toEqual(['cookie', 'signedIn', 'obj', 'list', 'when', 'n']);
    expect(run.sets).toBe(0);
  });

  it('the store is handed the session and reads it as the same JSON', async () => {
    const run = await runOn({ write: (s) => void (s.obj.a.b = 2) }, 'write');
    expect(run.store.received).toHaveLength(1);
    const { cookie: _before, ...before } = run.before;
    const { cookie: _after, ...after } = JSON.parse(run.store.received[0]);
    expect(after).toEqual({ ...before, obj: { a: { b: 2, c: 1 } } }); // (the cookie is a new one)
    expect(Object.keys(after)).toEqual(Object.keys(before));
  });
});

describe('the patched Session on its own', () => {
  const signer = { sign: (value: string) => `${value}.sig` };
  const make = (previous?: object) =>
    new SessionClass({}, { protocol: 'http' }, () => 'sid', { maxAge: HOUR }, signer, previous, previous ? 'sid' : undefined);
  const sha256 = () => hashes.filter((algorithm) => algorithm === 'sha256').length;

  it('restored from a store: the copied values are the persisted state', () => {
    const session = make(JSON.parse(JSON.stringify({ cookie: { expires: null }, thing: { a: 1 } })));
    expect(session.isModified()).toBe(false);
    expect(sha256()).toBe(0);
    (session.thing as { a: number }).a = 2;
    expect(session.isModified()).toBe(true);
    (session.thing as { a: number }).a = 1;
    expect(session.isModified()).toBe(false);
  });

  it('copies from a session it is handed (as a store keeping objects does) without stacking proxies', () => {
    const first = make();
    first.thing = { a: { b: 1 } };
    const second = make(first);
    expect(second.isModified()).toBe(false);
    // What the session itself holds (a descriptor is read past the proxy) is the plain object,
    // not the first session's proxy of it: no chain of proxies growing request after request.
    expect(types.isProxy(Object.getOwnPropertyDescriptor(second, 'thing')!.value)).toBe(false);
    expect(types.isProxy(second.thing)).toBe(true);
    (second.thing as { a: { b: number } }).a.b = 2;
    expect(second.isModified()).toBe(true);
    expect(JSON.stringify(second.thing)).toBe('{"a":{"b":2}}');
  });

  it('a proxy written into the session is kept as the object it stands for', () => {
    const session = make(JSON.parse('{"thing":{"a":{"b":1}}}'));
    session.copy = session.thing;
    const thingProxy = session.thing as { a: object; list: unknown[] };
    thingProxy.list = [];
    thingProxy.list.push(thingProxy.a);
    expect(types.isProxy(Object.getOwnPropertyDescriptor(session, 'copy')!.value)).toBe(false);
    const thing = Object.getOwnPropertyDescriptor(session, 'thing')!.value;
    expect(types.isProxy(thing.list[0])).toBe(false);
    expect(session.copy).toBe(session.thing);
  });

  it('a value holding another session value stays correct: no recursion, changes seen', () => {
    const session = make(JSON.parse('{"thing":{"when":"x","a":1}}'));
    session.holder = { inner: session.thing, when: new Date(0) };
    expect(session.isModified()).toBe(true);
    expect(JSON.stringify(session.holder)).toBe('{"inner":{"when":"x","a":1},"when":"1970-01-01T00:00:00.000Z"}');
  });

  it('a non-writable, non-configurable object property is handed out as it is (proxy invariant)', () => {
    const session = make(JSON.parse('{"thing":{}}'));
    const fixed = { x: 1 };
    Object.defineProperty(session.thing, 'fixed', { value: fixed, enumerable: true, writable: false, configurable: false });
    expect((session.thing as { fixed: object }).fixed).toBe(fixed);
  });

  it('symbol keys (the internals), the cookie and the methods reading them compute no hash', () => {
    const session = make(JSON.parse('{"thing":{"a":1}}'));
    const key = Symbol('mine');
    (session as unknown as Record<symbol, unknown>)[key] = new Date(0);
    expect((session as unknown as Record<symbol, unknown>)[key]).toEqual(new Date(0));
    session.cookie.expires = new Date(Date.now() + HOUR);
    session.touch();
    session.options({ maxAge: 2 * HOUR });
    expect(session.isSaved()).toBe(false);
    expect(Object.getOwnPropertySymbols(session).length).toBeGreaterThan(0);
    expect(session.isModified()).toBe(false);
    expect(sha256()).toBe(0);
  });

  it('isModified is false on a fresh session, without hashing', () => {
    const session = make();
    expect(session.isModified()).toBe(false);
    expect(session.sessionId).toBe('sid');
    expect(session.encryptedSessionId).toBe('sid.sig');
    expect(sha256()).toBe(0);
  });
});
