// A redis-server of a test's own, on a spare port, as a child process the test can kill, freeze
// (SIGSTOP) and start again on the same port: faults the shared Redis must never see.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';


/** In the foreground, password required, nothing persisted; resolves once it accepts connections. */
export async function startRedis(port: number, password: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--requirepass', password, '--dir', tmpdir()],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  const onOutput = (chunk: Buffer) => {
    output += chunk;
    if (output.includes('Ready to accept connections')) child.emit('redis-ready');
  };
  child.stdout!.on('data', onOutput);
  try {
    await Promise.race([
      once(child, 'redis-ready'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`redis-server exited (${code}): ${output}`))),
    ]);
  } finally {
    child.stdout!.off('data', onOutput);
    child.stdout!.resume();
  }
  return child;
}

export async function stopRedis(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Tries `check` every 50 ms until it resolves, for at most `ms`. */
export async function eventually<T>(check: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
