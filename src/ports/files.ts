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

/**
 * Reading the files a compose project's labels name (`upkeep runbook`): `realpath` to decide
 * whether a file may be opened at all, `read` as ReadTextFile does (regular files only, capped, UTF-8).
 */
export interface ProjectFileReader {
  realpath(path: string): Promise<{ ok: true; real: string } | { ok: false; reason: string }>;
  read: ReadTextFile;
  /** True when nothing is at `path` (not even a broken link): an absent `.env` is no problem. */
  absent(path: string): Promise<boolean>;
}
