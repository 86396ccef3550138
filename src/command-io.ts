// What an admin command (`npm run migrate`, `audit`, `sessions`) reads and writes, passed in rather
// than taken from `process`, so the tests run a command in their own process (a spawned Node costs
// ~150 ms idle and seconds on a loaded machine) and only a smoke test per command spawns it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';

export interface CommandIo {
  args: string[];
  /** The process environment, without .env: see withDotEnv. */
  env: Record<string, string | undefined>;
  /** The working directory: where .env is read and relative paths start. */
  cwd: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** The environment with .env's variables beneath it: set ones win, as Node's loadEnvFile does. */
export function withDotEnv(io: CommandIo): Record<string, string | undefined> {
  const file = path.join(io.cwd, '.env');
  return fs.existsSync(file) ? { ...parseEnv(fs.readFileSync(file, 'utf8')), ...io.env } : io.env;
}

/** A file path from the configuration, relative to the command's working directory. */
export function fromCwd(io: CommandIo, file: string): string {
  return file === ':memory:' ? file : path.resolve(io.cwd, file);
}

/**
 * When `moduleUrl` is the file Node was started with (`node src/…-command.ts`), runs the command
 * on this process and sets its exit code; when the module is imported (the tests), does nothing.
 */
export function runWhenMain(moduleUrl: string, command: (io: CommandIo) => Promise<number>): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  // `npm run audit … | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const io = { args: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr };
  void command(io).then((code) => {
    process.exitCode = code;
  });
}

/** One line an operator can act on, as `name: message`; a stack trace would bury it. */
export function oneLine(name: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${name}: ${message.replace(/\s*\n\s*/g, ' ')}\n`;
}
