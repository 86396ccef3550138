// One transaction on one pooled connection (most steps are single statements and need none).
import { asUnavailable } from './pool.ts';
import type { Pool } from './pool.ts';

/** Runs a statement inside the transaction and gives back its rows. */
export type Run = (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

export async function inTransaction<T>(pool: Pool, work: (run: Run) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw asUnavailable(error);
  });
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(async (text, values) => (await client.query(text, values)).rows);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackFailed: Error) => {
      broken = rollbackFailed; // the connection is unusable: the pool drops it on release
    });
    throw asUnavailable(error);
  } finally {
    client.release(broken);
  }
}
