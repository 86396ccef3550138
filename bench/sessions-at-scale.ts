// (4) 100,000 signed-in sessions: what they cost in the sessions table and in the server's memory.
// The rows are copies of the real signed-in row the bench's own sign-in left (same fields, same
// expiry), written through the app's own store under fresh IDs; then the server is driven with
// a random one of them per request, so SQLite's page cache and the server see them all.
import { randomBytes } from 'node:crypto';
import { Signer } from '@fastify/cookie';
import type { Session } from 'fastify';
import { openDatabase } from '../src/storage/sqlite/connection.ts';
import { createSqliteSessionStore } from '../src/storage/sqlite/session-store.ts';
import { sessionRules } from '../src/signin/state.ts';
import type { LoadResult } from './load.ts';
import { load } from './load.ts';
import { withServerCpu } from './scenarios.ts';
import { SESSION_SECRET } from './fixture.ts';
import { PROXY_HEADERS } from './signin-flow.ts';
import type { BenchServer } from './servers.ts';

export interface SessionsAtScale {
  sessions: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** Bytes of the stored JSON of a signed-in session (the `data` column). */
  dataBytesPerSession: number;
  /** Bytes of a signed-in session's row values: ID + JSON + expiry. */
  rowBytesPerSession: number;
  /** Pages of the table and its expiry index over all rows, per row (b-tree overhead included). */
  tableBytesPerSession: number;
  tableMiB: number;
  indexMiB: number;
  /** The protected page, each request with a random one of the sessions. */
  randomSessionHome: LoadResult;
}

export async function measureSessionsAtScale(
  server: BenchServer,
  databasePath: string,
  signedInCookie: string,
  count: number,
  load10s: { connections: number; durationS: number },
): Promise<SessionsAtScale> {
  const rssBefore = (await server.stats(true)).rss;
  const db = openDatabase(databasePath);
  try {
    const sid = decodeURIComponent(/(?:^|; )__Host-sid=([^;]+)/.exec(signedInCookie)?.[1] ?? '').split('.')[0];
    const real = db.prepare<[string], { data: string }>('SELECT data FROM sessions WHERE sid = ?').get(sid);
    if (!real) throw new Error('the signed-in session row is missing');
    const template = JSON.parse(real.data) as Session;
    const store = createSqliteSessionStore(db, sessionRules({ idleMs: 30 * 60 * 1000, maxMs: 12 * 60 * 60 * 1000 }, 12 * 60 * 60 * 1000));
    const ids = Array.from({ length: count }, () => randomBytes(24).toString('base64url'));
    db.transaction(() => {
      for (const id of ids) {
        store.set(id, template, (error) => {
          if (error) throw error;
        });
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');

    const signer = new Signer([SESSION_SECRET]);
    const csrfCookie = signedInCookie.split('; ').find((c) => c.startsWith('__Host-csrf=')) as string;
    const cookies = ids.map((id) => `${csrfCookie}; __Host-sid=${encodeURIComponent(signer.sign(id))}`);
    const randomSessionHome = await withServerCpu(server, () => load({
      url: `${server.url}/`,
      ...load10s,
      requests: [
        {
          method: 'GET',
          path: '/',
          setupRequest: (req) => ({
            ...req,
            headers: { ...PROXY_HEADERS, cookie: cookies[Math.floor(Math.random() * cookies.length)] },
          }),
        },
      ],
    }));
    const rssAfter = (await server.stats(true)).rss;

    const sizes = db
      .prepare<[], { name: string; bytes: number }>(
        "SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name IN ('sessions', 'sessions_by_expiry') GROUP BY name",
      )
      .all();
    const bytesOf = (name: string) => sizes.find((s) => s.name === name)?.bytes ?? 0;
    const rows = db.prepare('SELECT count(*) FROM sessions').pluck().get() as number;
    const dataBytes = Buffer.byteLength(real.data);
    const mib = (bytes: number) => bytes / 1024 / 1024;
    return {
      sessions: rows,
      rssBeforeMiB: mib(rssBefore),
      rssAfterMiB: mib(rssAfter),
      dataBytesPerSession: dataBytes,
      rowBytesPerSession: Buffer.byteLength(sid) + dataBytes + 8,
      tableBytesPerSession: (bytesOf('sessions') + bytesOf('sessions_by_expiry')) / rows,
      tableMiB: mib(bytesOf('sessions')),
      indexMiB: mib(bytesOf('sessions_by_expiry')),
      randomSessionHome,
    };
  } finally {
    db.close();
  }
}
