/**
 * node:crypto, loaded on first use. A process that loads node:crypto initialises OpenSSL: about
 * 2.5 MiB of resident memory that the idle agent does not need (it hashes only when it writes a
 * cache, signs a webhook or checks a token; docs/benchmarks.md). Every module that hashes or draws
 * random bytes takes it from here instead of importing node:crypto at its top.
 */
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | undefined;

/** The node:crypto module (loaded the first time this is called). */
export function nodeCrypto(): typeof NodeCrypto {
  return (loaded ??= process.getBuiltinModule('node:crypto'));
}

/** The SHA-256 of `data` (UTF-8 for a string), in hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return nodeCrypto().createHash('sha256').update(data).digest('hex');
}
