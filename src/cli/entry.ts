/** The program's entry point: bin/upkeep runs it (dist/cli/entry.js), and the bundle starts here. */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
