// The parent side: start a bench server in its own process (so autocannon does not share its
// event loop), learn its port, ask it for its memory or a CPU profile, stop it.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { once } from 'node:events';
import type { FromChild, ToChild } from './child-ipc.ts';

export interface BenchServer {
  url: string;
  threadPoolSize: string;
  /**
   * CPU time (user + system, all threads) used since the process started, and memory (after a
   * full garbage collection when `gc`).
   */
  stats(gc?: boolean): Promise<{ rss: number; heapUsed: number; cpuUs: number }>;
  /** Runs `during` with the V8 CPU profiler on in the server, then writes the profile to `file`. */
  profile<T>(file: string, during: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** The child's stdout and stderr go here. */
  logFile: string;
}

export async function startServer(script: string, options: StartOptions): Promise<BenchServer> {
  const log = openSync(options.logFile, 'a');
  const execArgv = [...process.execArgv, '--expose-gc'];
  const child = fork(new URL(script, import.meta.url), [], {
    env: { ...process.env, ...options.env },
    execArgv,
    stdio: ['ignore', log, log, 'ipc'],
  });
  // A question to a child that has died rejects (through send's callback), so the bench's
  // `finally` still runs; without a callback the failed send would be an unhandled 'error' event.
  const ask = (message: ToChild, answer: FromChild['type']) =>
    new Promise<FromChild>((resolve, reject) => {
      nextMessage(child, answer, script).then(resolve, reject);
      child.send(message, (error) => {
        if (error) reject(new Error(`${script} is gone: ${error.message}`));
      });
    });
  const ready = await nextMessage(child, 'ready', `${script} (log: ${options.logFile})`);
  if (ready.type !== 'ready') throw new Error('unreachable');
  return {
    url: `http://127.0.0.1:${ready.port}`,
    threadPoolSize: ready.threadPoolSize,
    async stats(gc = false) {
      const message = await ask({ type: 'stats', gc }, 'stats');
      if (message.type !== 'stats') throw new Error('unreachable');
      return { rss: message.rss, heapUsed: message.heapUsed, cpuUs: message.cpuUs };
    },
    async profile(file, during) {
      await ask({ type: 'profile-start' }, 'profiled');
      try {
        return await during();
      } finally {
        await ask({ type: 'profile-stop', file }, 'profiled');
      }
    },
    async stop() {
      if (exited(child)) return;
      const exit = once(child, 'exit');
      // A failed send means the child is already going: its 'exit' follows.
      child.send({ type: 'stop' } satisfies ToChild, () => {});
      await exit;
    },
  };
}

/** Killed by a signal, a child has a signalCode and no exitCode. */
const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function nextMessage(child: ChildProcess, type: FromChild['type'], what: string): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    if (exited(child)) {
      reject(new Error(`${what} exited (${child.signalCode ?? `code ${child.exitCode}`})`));
      return;
    }
    const onMessage = (message: FromChild) => {
      if (message.type === 'failed') finish(() => reject(new Error(`${what} failed to start:\n${message.message}`)));
      else if (message.type === type) finish(() => resolve(message));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(() => reject(new Error(`${what} exited (${signal ?? `code ${code}`})`)));
    const finish = (settle: () => void) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
