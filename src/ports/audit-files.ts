/** What the audit use case learns from the file system (adapters/files implements the reading and writing). */

export interface FileIdentity {
  dev: number;
  ino: number;
  /** st_mode & 0o7777: permission bits with setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
}

export type ReadRefusal = 'not-regular' | 'too-large' | 'binary' | 'not-utf8' | 'unreadable';

export type AuditFileRead = { ok: true; text: string; bytes: Buffer; identity: FileIdentity } | { ok: false; refusal: ReadRefusal; reason: string };

export interface DiscoveryProblem {
  dir: string;
  reason: string;
}

export type WriteMethod =
  /** A new file renamed over the old one (atomic). */
  | 'replaced'
  /** The same inode truncated and rewritten: the file has several hard links. Not atomic. */
  | 'in-place';
