/** The program's entry point: bin/upkeep runs it (dist/cli/entry.js), and the bundles start here. */
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
