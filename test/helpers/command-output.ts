// Every admin command that reads a backend prints first which ones (src/commands/command.ts): on
// stdout, or on stderr when stdout is for machines (--json). Tests about what follows take it off;
// test/commands/backends-line.test.ts checks the line itself.
const BACKENDS_LINE = /^database: [^\n]*\n/;

export function withoutBackendsLine<T extends { stdout: string; stderr: string }>(outcome: T): T {
  return { ...outcome, stdout: outcome.stdout.replace(BACKENDS_LINE, ''), stderr: outcome.stderr.replace(BACKENDS_LINE, '') };
}
