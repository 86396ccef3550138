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
  const ready = await nextMessage(child, 'ready', `${script} (log: ${options.logFile})`);
  if (ready.type !== 'ready') throw new Error('unreachable');
  return {
    url: `http://127.0.0.1:${ready.port}`,
    threadPoolSize: ready.threadPoolSize,
    async stats(gc = false) {
      const answer = nextMessage(child, 'stats', script);
      child.send({ type: 'stats', gc } satisfies ToChild);
      const message = await answer;
      if (message.type !== 'stats') throw new Error('unreachable');
      return { rss: message.rss, heapUsed: message.heapUsed, cpuUs: message.cpuUs };
    },
    async profile(file, during) {
      const ask = async (message: ToChild) => {
        const answer = nextMessage(child, 'profiled', script);
        child.send(message);
        await answer;
      };
      await ask({ type: 'profile-start' });
      try {
        return await during();
      } finally {
        await ask({ type: 'profile-stop', file });
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'stop' } satisfies ToChild);
      await exited;
    },
  };
}

function nextMessage(child: ChildProcess, type: FromChild['type'], what: string): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromChild) => {
      if (message.type === 'failed') finish(() => reject(new Error(`${what} failed to start:\n${message.message}`)));
      else if (message.type === type) finish(() => resolve(message));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`${what} exited (code ${code})`)));
    const finish = (settle: () => void) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
