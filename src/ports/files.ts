/** Reading the host's files (compose files named by container labels, ...): hostile input. */

/** What came of reading one text file. */
export type TextFileRead =
  | { ok: true; text: string }
  /** Not read, and why in a few words ("not a regular file", "larger than 10 MiB", "not valid UTF-8", "ENOENT"). */
  | { ok: false; why: string };

/**
 * Reads a regular file as UTF-8 text, within a size limit; never blocks on a FIFO, never follows
 * a device, never returns replacement characters for bytes that are not UTF-8.
 */
export type ReadTextFile = (path: string) => Promise<TextFileRead>;
