/**
 * `upkeep snapshot`: record what runs now as the desired state (what upkeep recover and the agent
 * bring back). `upkeep snapshot --list` shows the history; `upkeep forget NAME...` removes
 * containers from the desired state.
 */
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { textFileReader } from '../../adapters/files/read-text-file.js';
import { forgetContainers, wantContainers } from '../../app/intent.js';
import { takeSnapshot } from '../../app/take-snapshot.js';
import { EXIT } from '../../core/errors.js';
import { renderTable } from '../../core/render/table.js';
import { withEngine } from '../engine.js';
import { printJson, type Io } from '../io.js';
import { stateDirFor, withStore } from '../state.js';

interface SnapshotOptions {
  only?: string[];
  note?: string;
  list?: boolean;
  json?: boolean;
  stateDir?: string;
}

export function registerSnapshot(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('snapshot')
    .description('Record the running containers as the desired state (what recover and the agent bring back)')
    .option('--only <name...>', 'only these compose projects or container names (the rest of the desired state is kept)')
    .option('--note <text>', 'a note stored with the snapshot, e.g. "before apt upgrade"')
    .option('--list', 'list the snapshots taken so far instead')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives (default /var/lib/upkeep as root; env UPKEEP_STATE_DIR)')
    .addHelpText(
      'after',
      `
Every call without --list TAKES a new snapshot (also with --json); to read the snapshots taken so
far, use --list (--list --json for scripts).
Jobs (label upkeep.role=job, compose "run" containers) and stopped containers are never desired.
Environment values are stored (a removed container needs them to be re-created) in a 0600 file,
and never printed. Exit codes: 0 taken, 2 could not run.`,
    )
    .action(async (opts: SnapshotOptions) => {
      if (opts.list) {
        const list = await withStore(io, { ...opts, create: false, readOnly: true }, async (store) => store.listSnapshots({ limit: 50 }));
        if (opts.json) printJson(io, { snapshots: list });
        else if (list.length === 0) io.stdout.write('No snapshots yet: take one with `upkeep snapshot`.\n');
        else
          io.stdout.write(
            renderTable(
              ['ID', 'TAKEN', 'HOST', 'CONTAINERS', 'NOTE'],
              list.map((s) => [String(s.id), s.takenAt, s.host.name, String(s.containerCount), s.note ?? '']),
            ) + '\n',
          );
        setExit(EXIT.ok);
        return;
      }
      const state = await withEngine(io, (engine) => readHostState(engine));
      const result = await withStore(io, opts, async (store) =>
        takeSnapshot({ store, readTextFile: textFileReader(), now: Date.now }, state, {
          ...(opts.only ? { only: opts.only } : {}),
          note: opts.note ?? null,
          by: 'cli',
        }),
      );
      const { saved, built, notes } = result;
      if (opts.json) {
        printJson(io, {
          snapshot: saved,
          desired: built.snapshot.containers.map((c) => c.name),
          excluded: built.excluded,
          carriedOver: built.carriedOver,
          notes,
          stateDir: stateDirFor(io, opts),
        });
      } else {
        io.stdout.write(`Snapshot ${saved.id} taken at ${saved.takenAt}: ${built.snapshot.containers.length} desired containers on ${state.host.name}.\n`);
        for (const c of built.snapshot.containers) io.stdout.write(`  ${c.name}${c.compose ? ` (${c.compose.project}/${c.compose.service})` : ''}\n`);
        if (built.carriedOver.length) io.stdout.write(`Kept from the previous snapshot: ${built.carriedOver.join(', ')}\n`);
        if (built.excluded.length) {
          io.stdout.write('Not desired:\n');
          for (const e of built.excluded) io.stdout.write(`  ${e.name}: ${e.detail}\n`);
        }
        for (const n of notes) io.stdout.write(`note: ${n}\n`);
        io.stdout.write('Next: `upkeep diff` shows what should run and does not; `upkeep recover` brings it back.\n');
      }
      setExit(EXIT.ok);
    });

  program
    .command('forget')
    .description('Remove containers from the desired state (they were stopped on purpose)')
    .argument('<name...>', 'container names')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives')
    .action(async (names: string[], opts: { json?: boolean; stateDir?: string }) => {
      const r = await withStore(io, { ...opts, create: false }, async (store) => forgetContainers(store, names));
      if (opts.json) printJson(io, r);
      else {
        if (r.forgotten.length) io.stdout.write(`Forgotten (no longer desired): ${r.forgotten.join(', ')}\n`);
        if (r.notDesired.length) io.stdout.write(`Not in the desired state anyway: ${r.notDesired.join(', ')}\n`);
      }
      setExit(EXIT.ok);
    });

  program
    .command('want')
    .description('Make containers desired again: ones the agent saw you stop on purpose, or ones you forgot')
    .argument('<name...>', 'container names')
    .option('--json', 'print JSON for scripts')
    .option('--state-dir <dir>', 'where the state database lives')
    .addHelpText(
      'after',
      `
When the agent sees a container stopped through the Docker API while the engine runs (docker stop),
it treats the stop as yours: the container is no longer desired (status, diff, recover, preflight
and the agent agree). Starting it again (docker start) makes it desired again; so does this command,
without starting it: the agent (or \`upkeep recover\`) then brings it back.
Exit codes: 0 done, 1 some names are in no snapshot, 2 could not run.`,
    )
    .action(async (names: string[], opts: { json?: boolean; stateDir?: string }) => {
      const r = await withStore(io, { ...opts, create: false }, async (store) => wantContainers(store, names));
      if (opts.json) printJson(io, r);
      else {
        for (const w of r.wanted) {
          const why = [w.operatorStop ? `stopped on purpose at ${w.operatorStop.at}` : null, w.unforgotten ? 'forgotten' : null].filter(Boolean).join(', ');
          io.stdout.write(`Desired again: ${w.name} (was ${why})\n`);
        }
        if (r.alreadyDesired.length) io.stdout.write(`Desired already: ${r.alreadyDesired.join(', ')}\n`);
        if (r.unknown.length)
          io.stdout.write(
            `In no snapshot: ${r.unknown.join(', ')}: start it and take a snapshot (upkeep snapshot) so that upkeep knows how to bring it back\n`,
          );
        if (r.wanted.length) io.stdout.write('Next: the agent brings it back at its next look; without an agent, `upkeep recover`.\n');
      }
      setExit(r.unknown.length > 0 ? EXIT.findings : EXIT.ok);
    });
}
