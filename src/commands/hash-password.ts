// `npm run hash-password`: prints the argon2id hash of a password for a seed migration.
// On a terminal it asks twice without echo; piped, it reads the first line. It reads no backend.
import { hashPassword } from '../accounts/passwords.ts';
import { CommandError, runCommand, runWhenMain } from './command.ts';
import type { CommandIo } from './command.ts';

const MIN_LENGTH = 8;

/** Ctrl-C or Ctrl-D at the prompt: exit 130, as a shell does. */
class Cancelled extends CommandError {
  constructor() {
    super('cancelled', 130);
  }
}

/** Where the password comes from: a terminal (process.stdin) or a pipe (any readable stream). */
type Stdin = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
type HashPasswordIo = Pick<CommandIo, 'stdout' | 'stderr'> & { stdin: Stdin };

/** `npm run hash-password`; returns the exit code. */
export const runHashPasswordCommand = (io: HashPasswordIo): Promise<number> => runCommand('hash-password', hashPasswordTo, io);

async function hashPasswordTo(io: HashPasswordIo): Promise<void> {
  io.stdout.write(`${await hashPassword(await readPassword(io))}\n`);
}

async function readPassword(io: HashPasswordIo): Promise<string> {
  let password: string;
  if (io.stdin.isTTY) {
    password = await promptHidden(io, 'Password: ');
    const again = await promptHidden(io, 'Again: ');
    if (again !== password) throw new Error('the two passwords do not match; nothing was hashed');
  } else {
    password = await readFirstLine(io.stdin);
  }

  if (password === '') throw new Error('the password is empty');
  const length = [...password].length;
  if (length < MIN_LENGTH) {
    throw new Error(`the password is ${length} characters long; use at least ${MIN_LENGTH}`);
  }
  return password;
}

/** The first line of stdin, without its line ending; spaces are part of the password. */
async function readFirstLine(stdin: Stdin): Promise<string> {
  let text = '';
  stdin.setEncoding('utf8');
  for await (const chunk of stdin) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  const newline = text.indexOf('\n');
  const line = newline === -1 ? text : text.slice(0, newline);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Reads one line in raw mode, so the terminal never shows what is typed. */
function promptHidden(io: HashPasswordIo, prompt: string): Promise<string> {
  const stdin = io.stdin;
  // Raw mode before the prompt: anything typed after seeing it must not be echoed.
  stdin.setRawMode?.(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  io.stderr.write(prompt);

  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (outcome: () => void) => {
      stdin.off('data', onKeys);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      outcome();
    };
    const onKeys = (keys: string) => {
      // Arrow and function keys arrive as escape sequences: none of them is part of a password.
      if (keys.startsWith('\u001b')) return;
      for (const key of keys) {
        if (key === '\r' || key === '\n') return finish(() => resolve(typed.join('')));
        if (key === '\u0003') return finish(() => reject(new Cancelled())); // Ctrl-C
        if (key === '\u0004' && typed.length === 0) return finish(() => reject(new Cancelled())); // Ctrl-D
        if (key === '\u007f' || key === '\b') typed.pop(); // Backspace
        else if (key === '\u0015') typed = []; // Ctrl-U clears the line
        else if (key >= ' ') typed.push(key);
      }
    };
    stdin.on('data', onKeys);
  });
}

runWhenMain(import.meta.url, runHashPasswordCommand);
