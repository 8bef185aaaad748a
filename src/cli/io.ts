/**
 * What a command may touch of the outside world besides its adapters: output streams and the
 * environment. main() gets the real ones; tests pass their own to capture output.
 */
import { styleText } from 'node:util';

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export function processIo(): Io {
  return { stdout: closable(process.stdout), stderr: closable(process.stderr), env: process.env };
}

/**
 * A process stream whose reader may go away (`upkeep status | head -1`, `| true`): a write into
 * a closed pipe (EPIPE) must neither crash the command with a stack trace nor change its exit
 * code, and must not stop work in progress (a recovery goes on). After the first error the rest
 * of the output is dropped.
 */
function closable(stream: NodeJS.WriteStream): Io['stdout'] {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return {
    write(s: string): boolean {
      if (closed) return false;
      try {
        return stream.write(s);
      } catch {
        closed = true;
        return false;
      }
    },
    get isTTY() {
      return stream.isTTY === true;
    },
  };
}

type Style = Parameters<typeof styleText>[0];

/** Colour only on a terminal, and never with NO_COLOR set. */
export function painter(io: Io, stream: 'stdout' | 'stderr' = 'stdout'): (style: Style, text: string) => string {
  const tty = io[stream].isTTY === true;
  const enabled = tty && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === '') && io.env.TERM !== 'dumb';
  return enabled ? (style, text) => styleText(style, text) : (_style, text) => text;
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Asks `question` on stderr and reads one line from stdin: true for y or yes (any case). */
export async function askYesNo(question: string): Promise<boolean> {
  // Loaded when asked: every start of the program loads this file, few ask anything.
  const { createInterface } = process.getBuiltinModule('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
