/**
 * Splits a byte stream of newline-delimited JSON (the Engine API's /events) into values.
 * Chunks may end anywhere, even inside a multi-byte character; blank lines are skipped.
 */
export class JsonLineSplitter<T = unknown> {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  /** Feeds one chunk; returns every complete value it finished. Throws on a malformed line. */
  push(chunk: Uint8Array | string): T[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: T[] = [];
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line !== '') out.push(parseLine<T>(line));
      newline = this.buffer.indexOf('\n');
    }
    return out;
  }

  /** Ends the stream; a final line without a newline is still a value. */
  end(): T[] {
    this.buffer += this.decoder.decode();
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest === '' ? [] : [parseLine<T>(rest)];
  }
}

function parseLine<T>(line: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new SyntaxError(`malformed JSON line in event stream: ${line.slice(0, 120)}`);
  }
}
