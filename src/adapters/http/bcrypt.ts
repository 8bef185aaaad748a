/**
 * bcrypt verification ($2a$, $2b$, $2y$) for the `basic_auth_users` of a Prometheus exporter web
 * configuration (the hashes `htpasswd -nBC 10 user` or Python's crypt make), with bcryptjs (pure
 * JavaScript: no native module to build on the host). Loaded only when a web configuration names
 * users (`loadBcrypt`, at the listener's start): an agent without them never loads it.
 */

type Bcryptjs = typeof import('bcryptjs').default;

let lib: Bcryptjs | null = null;

/** Loads bcryptjs; call (and await) before bcryptVerify or bcryptWithSetting. */
export async function loadBcrypt(): Promise<void> {
  lib ??= (await import('bcryptjs')).default;
}

function loaded(): Bcryptjs {
  if (lib === null) throw new Error('bcrypt: loadBcrypt() was not awaited');
  return lib;
}

const HASH = /^\$(2[aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

/** Whether `hash` is a bcrypt hash this module reads; the cost must be 4..31. */
export function isBcryptHash(hash: string): boolean {
  const m = HASH.exec(hash);
  return m !== null && Number(m[2]) >= 4 && Number(m[2]) <= 31;
}

/** The bcrypt hash of `password` with the version, cost and salt of `setting` ($2b$10$ + 22 salt characters); null for a setting it does not read. */
export function bcryptWithSetting(password: string, setting: string): string | null {
  const m = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{22}/.exec(setting);
  if (!m || Number(m[1]) < 4 || Number(m[1]) > 31) return null;
  return loaded().hashSync(password, m[0]);
}

/** Whether `password` matches the bcrypt `hash` (false for a hash this module does not read); compared in constant time. */
export function bcryptVerify(password: string, hash: string): boolean {
  if (!isBcryptHash(hash)) return false;
  return loaded().compareSync(password, hash);
}
