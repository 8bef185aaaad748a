/** The program's entry point: bin/upkeep runs it (dist/cli/entry.js), and the bundles start here. */
import { isSea } from 'node:sea';
import { main } from './main.js';
import { setSelfCommand } from './self.js';

// A single executable is its own program; otherwise Node runs this file (dist/cli/entry.js or the bundle).
setSelfCommand(isSea() || process.argv[1] === undefined ? [process.execPath] : [process.execPath, process.argv[1]]);

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
