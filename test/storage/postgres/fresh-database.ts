// Each PostgreSQL test file makes its own databases on the machine's server (127.0.0.1:5432, via
// the `test` database) and drops them when the file is done, closing their connections first, so
// nothing is left behind and files running in parallel never share state.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll } from 'vitest';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REPO_MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;
export const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA';

export const urlOf = (database: string) => Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).href;

/** Runs `work` on a short-lived admin connection to the `test` database. */
export async function asAdmin<T>(work: (client: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Closes every connection to `database` (the app's pool included), as an operator or a failover would. */
export async function terminateConnections(database: string): Promise<number> {
  return asAdmin(async (client) => {
    const { rowCount } = await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    return rowCount ?? 0;
  });
}

/**
 * Returns a function that creates a new, empty database and gives its name and URL; every one of
 * them is dropped after the file's tests.
 */
export function useFreshDatabases(): () => Promise<{ name: string; url: string }> {
  const created: string[] = [];
  afterAll(async () => {
    for (const name of created) {
      await terminateConnections(name);
      await asAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name}`));
    }
  });
  return async () => {
    const name = `t_${randomBytes(6).toString('hex')}`;
    await asAdmin((client) => client.query(`CREATE DATABASE ${name}`));
    created.push(name);
    return { name, url: urlOf(name) };
  };
}

/** Runs one statement on the database at `url` as an admin would by hand. */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  return asAdmin(async (client) => (await client.query<R>(text, values)).rows, url);
}

/**
 * A TCP proxy in front of the real server that a test can stop and start again: the app sees
 * PostgreSQL go away (connections cut, new ones refused) and come back on the same address,
 * without touching the server other tests share. Or freeze it: connections stay open and new ones
 * are accepted, bytes are taken but forwarded nowhere (a partition, a hung host), until thawed.
 */
export async function startOutageProxy(
  target = new URL(ADMIN_URL),
): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void>; freeze(): void; thaw(): void }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let frozen = false;
  // Bytes taken while frozen, in order, delivered on thaw.
  let held: Array<[net.Socket, Buffer]> = [];
  const forward = (from: net.Socket, to: net.Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    });
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((inbound) => {
        const outbound = net.connect(Number(target.port || 5432), target.hostname);
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('error', () => socket.destroy());
          socket.on('close', () => sockets.delete(socket));
        }
        forward(inbound, outbound);
        forward(outbound, inbound);
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      held = [];
      for (const socket of sockets) socket.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  const freeze = () => {
    frozen = true;
  };
  const thaw = () => {
    frozen = false;
    for (const [to, chunk] of held) if (!to.destroyed) to.write(chunk);
    held = [];
  };
  await start();
  return { port, stop, start, freeze, thaw };
}
