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
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
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
