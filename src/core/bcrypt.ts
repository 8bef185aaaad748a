/**
 * bcrypt verification ($2a$, $2b$, $2y$), for the `basic_auth_users` of a Prometheus exporter web
 * configuration (the hashes `htpasswd -nBC 10 user` or Python's crypt make). Node has no bcrypt and
 * upkeep takes no native module for it: this is Provos and Mazieres' EksBlowfish, written from the
 * paper. Blowfish's initial P-array and S-boxes are the hexadecimal digits of pi's fractional part;
 * they are computed once (Machin's formula with BigInt, about 0.2 s on a slow machine; see
 * `prepareBcrypt`) instead of carried as a table.
 * Pure (no I/O); compare in constant time.
 */

const BCRYPT_B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const CTEXT = 'OrpheanBeholderScryDoubt';

let piWords: Uint32Array | null = null;

/** The first `n` 32-bit words of pi's fractional part (0x243f6a88, 0x85a308d3, ...). */
function piFraction(n: number): Uint32Array {
  const bits = BigInt(n * 32 + 64);
  const one = 1n << bits;
  // arctan(1/x) * 2^bits
  const arctanInv = (x: bigint): bigint => {
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 1n, sign = 1n; term !== 0n; k += 2n, sign = -sign) {
      sum += (sign * term) / k;
      term /= x2;
    }
    return sum;
  };
  const pi = 4n * (4n * arctanInv(5n) - arctanInv(239n));
  const frac = pi - (3n << bits);
  const words = new Uint32Array(n);
  for (let i = 0; i < n; i++) words[i] = Number((frac >> (bits - BigInt((i + 1) * 32))) & 0xffffffffn);
  return words;
}

/** Computes the initial Blowfish state now (a server calls it at start, not on its first request). */
export function prepareBcrypt(): void {
  piWords ??= piFraction(18 + 1024);
}

function initialState(): { P: Uint32Array; S: Uint32Array } {
  piWords ??= piFraction(18 + 1024);
  return { P: piWords.slice(0, 18), S: piWords.slice(18) };
}

class Blowfish {
  constructor(
    readonly P: Uint32Array,
    readonly S: Uint32Array,
  ) {}

  private f(x: number): number {
    const S = this.S;
    return ((((S[x >>> 24]! + S[256 | ((x >>> 16) & 0xff)]!) | 0) ^ S[512 | ((x >>> 8) & 0xff)]!) + S[768 | (x & 0xff)]!) | 0;
  }

  /** Encrypts lr[off], lr[off+1] in place. */
  encrypt(lr: Uint32Array | Int32Array, off: number): void {
    const P = this.P;
    let l = lr[off]!;
    let r = lr[off + 1]!;
    l ^= P[0]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.f(l) ^ P[i]!;
      l ^= this.f(r) ^ P[i + 1]!;
    }
    lr[off] = r ^ P[17]!;
    lr[off + 1] = l;
  }

  /** The next 32-bit word of `data`, cycling; `pos` is advanced. */
  private static word(data: Uint8Array, pos: { i: number }): number {
    let w = 0;
    for (let k = 0; k < 4; k++) {
      w = (w << 8) | data[pos.i]!;
      pos.i = (pos.i + 1) % data.length;
    }
    return w;
  }

  /** ExpandKey(state, salt, key); with an empty salt, the plain key schedule. */
  expand(key: Uint8Array, salt: Uint8Array | null): void {
    const kp = { i: 0 };
    for (let i = 0; i < 18; i++) this.P[i] = this.P[i]! ^ Blowfish.word(key, kp);
    const lr = new Uint32Array(2);
    const sp = { i: 0 };
    const fill = (arr: Uint32Array, n: number) => {
      for (let i = 0; i < n; i += 2) {
        if (salt) {
          lr[0] = lr[0]! ^ Blowfish.word(salt, sp);
          lr[1] = lr[1]! ^ Blowfish.word(salt, sp);
        }
        this.encrypt(lr, 0);
        arr[i] = lr[0]!;
        arr[i + 1] = lr[1]!;
      }
    };
    fill(this.P, 18);
    fill(this.S, 1024);
  }
}

function decodeBase64(s: string, bytes: number): Uint8Array | null {
  const out = new Uint8Array(bytes);
  let o = 0;
  let bitsBuf = 0;
  let nBits = 0;
  for (const ch of s) {
    const v = BCRYPT_B64.indexOf(ch);
    if (v < 0) return null;
    bitsBuf = (bitsBuf << 6) | v;
    nBits += 6;
    if (nBits >= 8) {
      nBits -= 8;
      if (o < bytes) out[o++] = (bitsBuf >> nBits) & 0xff;
    }
  }
  return o === bytes ? out : null;
}

function encodeBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 3) {
    const c1 = b[i]!;
    const c2 = i + 1 < b.length ? b[i + 1]! : 0;
    const c3 = i + 2 < b.length ? b[i + 2]! : 0;
    s += BCRYPT_B64[c1 >> 2]! + BCRYPT_B64[((c1 & 3) << 4) | (c2 >> 4)]!;
    if (i + 1 < b.length) s += BCRYPT_B64[((c2 & 15) << 2) | (c3 >> 6)]!;
    if (i + 2 < b.length) s += BCRYPT_B64[c3 & 63]!;
  }
  return s;
}

const HASH = /^\$(2[aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

/** Whether `hash` is a bcrypt hash this module reads; the cost must be 4..31. */
export function isBcryptHash(hash: string): boolean {
  const m = HASH.exec(hash);
  return m !== null && Number(m[2]) >= 4 && Number(m[2]) <= 31;
}

/** The bcrypt hash of `password` with the version, cost and salt of `setting` ($2b$10$ + 22 salt characters). */
export function bcryptWithSetting(password: string, setting: string): string | null {
  const m = /^\$(2[aby])\$(\d\d)\$([./A-Za-z0-9]{22})/.exec(setting);
  if (!m) return null;
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) return null;
  const salt = decodeBase64(m[3]!, 16);
  if (salt === null) return null;
  // The key: the password's bytes and a NUL, at most 72 bytes ($2b$ semantics).
  const pw = Buffer.from(password, 'utf8');
  const key = new Uint8Array(Math.min(pw.length + 1, 72));
  key.set(pw.subarray(0, key.length));
  const { P, S } = initialState();
  const bf = new Blowfish(P, S);
  bf.expand(key, salt);
  for (let r = 0, rounds = 2 ** cost; r < rounds; r++) {
    bf.expand(key, null);
    bf.expand(salt, null);
  }
  const ctext = new Uint32Array(6);
  const ct = Buffer.from(CTEXT, 'latin1');
  for (let i = 0; i < 6; i++) ctext[i] = ct.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encrypt(ctext, j);
  const out = new Uint8Array(24);
  for (let i = 0; i < 6; i++) {
    out[i * 4] = ctext[i]! >>> 24;
    out[i * 4 + 1] = (ctext[i]! >>> 16) & 0xff;
    out[i * 4 + 2] = (ctext[i]! >>> 8) & 0xff;
    out[i * 4 + 3] = ctext[i]! & 0xff;
  }
  return `$${m[1]}$${m[2]}$${m[3]!}${encodeBase64(out.subarray(0, 23))}`;
}

/** Whether `password` matches the bcrypt `hash` (false for a hash this module does not read). */
export function bcryptVerify(password: string, hash: string): boolean {
  if (!isBcryptHash(hash)) return false;
  const got = bcryptWithSetting(password, hash);
  if (got === null || got.length !== hash.length) return false;
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff |= got.charCodeAt(i) ^ hash.charCodeAt(i);
  return diff === 0;
}
