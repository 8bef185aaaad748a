/**
 * Words for a POSIX shell (`sh -c`): a word made only of characters no shell treats specially is
 * written as it is, anything else in single quotes (a single quote inside as '\''). Pure.
 */

const PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` quoted so that `sh -c` reads back exactly `word` as one argument. */
export function shQuote(word: string): string {
  if (word !== '' && PLAIN.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** True when `text` holds a control character (C0, DEL, C1): never written into a command or a document. */
export function hasControlCharacters(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
