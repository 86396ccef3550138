// A Redis of the test's own on a spare port, stopped and started again under one state object:
// while it is down every call rejects at once with an unavailable error (no hang, no crash, no
// password in any message); when it is back the same client works again.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateBackend } from '../../../src/storage/backend.ts';
import { isBackendUnavailable } from '../../../src/storage/unavailable.ts';
import { openRedisState } from '../../../src/storage/redis/state.ts';
import { eventually, startRedis, stopRedis } from './own-redis-server.ts';
import { freePort } from '../../helpers/server-process.ts';
import { RULES, destroySession, getSession, sessionExpiringAt, setSession, signedIn } from './redis-test-kit.ts';

const PASSWORD = 'fault-test-secret-3141';
const PREFIX = 'fault:';

/** Resolves with the rejection, which must come within `ms`. */
async function rejectionOf(call: () => Promise<unknown>, ms: number): Promise<Error> {
  const started = Date.now();
  const error = await call().then(() => new Error('resolved while Redis was down'), (e: unknown) => e as Error);
  expect(Date.now() - started).toBeLessThan(ms);
  return error;
}

describe('Redis going away and coming back', () => {
  let server: ChildProcess | undefined;
  let state: StateBackend | undefined;
  afterEach(async () => {
    if (server) await stopRedis(server); // SIGKILL ends a frozen (SIGSTOP) one too
    await state?.close();
    server = state = undefined;
  });

  it('fails fast while down, never with the password, and the same client works again after a restart', async () => {
    const port = await freePort();
    const url = `redis://:${PASSWORD}@127.0.0.1:${port}/0`;
    server = await startRedis(port, PASSWORD);
    const reported: Error[] = [];
    state = await openRedisState(url, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX, commandTimeoutMs: 500, onConnectionError: (e) => reported.push(e) });
    const { sessions, limits } = state;
    await setSession(sessions, 'before', sessionExpiringAt(null, signedIn(1)));
    expect((await limits.consume(['password-ip', '203.0.113.9'])).ok).toBe(true);

    await stopRedis(server);
    // Some reconnect attempts later, a call still fails at once: nothing waits for the next attempt.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const calls: Array<() => Promise<unknown>> = [
      () => getSession(sessions, 'before'),
      () => setSession(sessions, 'during', sessionExpiringAt(null, signedIn(1))),
      () => destroySession(sessions, 'before'),
      () => sessions.claim('before', 'after'),
      () => sessions.isLive('before'),
      () => sessions.endWithSuccessors('before'),
      () => sessions.endAllForAccount(1),
      () => limits.consume(['password-ip', '203.0.113.9']),
      () => limits.refund(['password-ip', '203.0.113.9']),
      () => limits.penalize('send-cooldown', '1'),
      () => limits.reset(['password-ip', '203.0.113.9']),
      () => state!.ping(),
    ];
    for (const call of calls) {
      const error = await rejectionOf(call, 200);
      expect(isBackendUnavailable(error), String(error)).toBe(true);
      expect(error.name).toBe('BackendUnavailableError');
      expect(`${error.message} ${(error.cause as Error).message}`).not.toContain(PASSWORD);
    }
    await state.prune(); // nothing to do: Redis expires keys itself
    expect(reported.length).toBe(1); // once per outage, not per reconnect attempt
    expect(isBackendUnavailable(reported[0])).toBe(true);
    expect(reported[0].message).not.toContain(PASSWORD);

    server = await startRedis(port, PASSWORD);
    await eventually(() => state!.ping(), 5000);
    // A fresh Redis has neither the data nor the scripts: EVALSHA falls back to loading them.
    expect(await getSession(sessions, 'before')).toBeNull();
    await setSession(sessions, 'after', sessionExpiringAt(null, signedIn(1)));
    expect(await getSession(sessions, 'after')).toMatchObject({ signedIn: { userId: 1 } });
    expect(await sessions.claim('after', 'next')).toBe(true);
    expect(await sessions.endAllForAccount(1)).toBe(0);
    expect((await limits.consume(['password-ip', '203.0.113.9'])).ok).toBe(true);
  });

  it('a Redis that hangs instead of refusing fails calls after the command timeout, then recovers', async () => {
    const port = await freePort();
    server = await startRedis(port, PASSWORD);
    state = await openRedisState(`redis://:${PASSWORD}@127.0.0.1:${port}`, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX, commandTimeoutMs: 300 });
    await setSession(state.sessions, 'sid', sessionExpiringAt(null));

    server.kill('SIGSTOP');
    for (const call of [() => state!.sessions.isLive('sid'), () => state!.limits.consume(['code-ip', 'x']), () => state!.ping()]) {
      expect(isBackendUnavailable(await rejectionOf(call, 1500))).toBe(true);
    }
    server.kill('SIGCONT');
    await eventually(async () => expect(await state!.sessions.isLive('sid')).toBe(true), 5000);
  });

  it('a call in flight when Redis dies fails at once and is not replayed after the reconnect', async () => {
    const port = await freePort();
    server = await startRedis(port, PASSWORD);
    state = await openRedisState(`redis://:${PASSWORD}@127.0.0.1:${port}`, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX, commandTimeoutMs: 10_000 });
    server.kill('SIGSTOP'); // the consume is written to the socket and waits for a reply
    const started = Date.now();
    const inFlight = state.limits.consume(['code-ip', 'x']).then(() => new Error('resolved'), (e: Error) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stopRedis(server);
    expect(isBackendUnavailable(await inFlight)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000); // the connection's close, not the 10 s timeout

    server = await startRedis(port, PASSWORD);
    await eventually(() => state!.ping(), 5000);
    const admin = await openRedisState(`redis://:${PASSWORD}@127.0.0.1:${port}`, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX });
    try {
      // Sent again, the script would have counted on the new server: nothing is there.
      expect(await admin.limits.consume(['code-ip', 'x'])).toMatchObject({ ok: true, remaining: { 'code-ip': 29 } });
    } finally {
      await admin.close();
    }
  });

  it('a start with Redis unreachable stops with an unavailable error that names no password', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await openRedisState(`redis://:${PASSWORD}@127.0.0.1:${port}`, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX }).then(
      () => new Error('opened'),
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(isBackendUnavailable(error)).toBe(true);
    expect(error.message).toMatch(/^redis unavailable: /);
    expect(error.message).not.toContain(PASSWORD);
  });

  it('a wrong password stops the start without the password anywhere in the error, its cause included', async () => {
    const port = await freePort();
    server = await startRedis(port, PASSWORD);
    const reported: Error[] = [];
    const error = await openRedisState(`redis://:wrong-${PASSWORD}@127.0.0.1:${port}`, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX, onConnectionError: (e) => reported.push(e) }).then(
      () => new Error('opened'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(/^redis unavailable: WRONGPASS/);
    // what a logger's error serializer would walk: own properties, the cause's too
    const everything = JSON.stringify([error, reported], (_, v) => (v instanceof Error ? { ...v, message: v.message, cause: v.cause } : v));
    expect(everything).toContain('WRONGPASS');
    expect(everything).not.toContain(PASSWORD);
  });

  it('closes cleanly while Redis is down', async () => {
    const port = await freePort();
    server = await startRedis(port, PASSWORD);
    state = await openRedisState(`redis://:${PASSWORD}@127.0.0.1:${port}`, { rules: RULES, limitOverrides: {}, keyPrefix: PREFIX });
    await stopRedis(server);
    const started = Date.now();
    await state.close();
    await state.close();
    expect(Date.now() - started).toBeLessThan(500);
  });
});
