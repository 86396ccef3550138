// Runs an admin command (src/commands/command.ts) in this process, with only the given environment and
// working directory, or, for one smoke test per command, as a spawned `node src/commands/….ts`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { CommandIo } from '../../src/commands/command.ts';
import { compileCacheEnv, nodeTs } from './node-ts.ts';

export type Outcome = { code: number; stdout: string; stderr: string };

export async function runCommand(
  command: (io: CommandIo) => Promise<number>,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await command({
    args,
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

export async function spawnCommand(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, nodeTs(file, ...args), { env: { PATH: process.env.PATH ?? '', ...compileCacheEnv(), ...env }, cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
