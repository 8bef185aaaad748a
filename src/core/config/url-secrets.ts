/**
 * Secrets inside URLs, masked as "***" wherever a URL from the config is shown (config check, error
 * messages): the userinfo's password (`https://user:***@host`), a userinfo without a password (it is
 * usually a token: `https://***@host`), and the value of every query or fragment parameter whose
 * name looks like a credential (token, key, secret, password, sig, auth, ...). Pure, no deps.
 */

export const MASK = '***';

/** Parameter names whose values are credentials: access_token, api_key, X-Amz-Signature, ... */
const SECRET_PARAM = /token|key|secret|pass(word|wd)?|pwd|sig|auth|credential|session/i;

/** Whether a query or fragment parameter of this name holds a credential. */
export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name);
}

const URL_START = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*@)?/i;

/** Masks the secrets of a URL; a string that is not `scheme://...` is returned as it is. */
export function maskUrlSecrets(s: string): string {
  const m = URL_START.exec(s);
  if (!m) return s;
  let out = m[1]!;
  const userinfo = m[2];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    out += colon === -1 ? `${MASK}@` : `${userinfo.slice(0, colon)}:${MASK}@`;
  }
  const rest = s.slice(m[0].length);
  const q = rest.search(/[?#]/);
  if (q === -1) return out + rest;
  const params = rest
    .slice(q)
    .replace(/([?&#;])([^=&#;]*)=([^&#;]*)/g, (all, sep: string, name: string, value: string) =>
      value !== '' && isSecretParam(decodeName(name)) ? `${sep}${name}=${MASK}` : all,
    );
  return out + rest.slice(0, q) + params;
}

/** Whether a URL holds a secret that maskUrlSecrets would hide. */
export function urlHasSecret(s: string): boolean {
  return maskUrlSecrets(s) !== s;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
