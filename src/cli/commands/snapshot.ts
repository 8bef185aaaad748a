/**
 * `upkeep snapshot`: record what runs now as the desired state (what upkeep recover and the agent
 * bring back). `upkeep snapshot --list` shows the history; `upkeep forget NAME...` removes
 * containers from the desired state.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { EXIT } from '../../core/errors.js';
import { dependsOnFromComposeFile } from '../../core/recovery/compose-file-depends-on.js';
import { buildSnapshot, type DesiredContainer } from '../../core/recovery/desired-state.js';
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

/**
 * Compose v1 writes no depends_on label: read it from the project's compose files, so that the
 * recovery order is known. Files that cannot be read leave the container without dependencies.
 */
export async function fillComposeDependsOn(containers: DesiredContainer[]): Promise<string[]> {
  const notes: string[] = [];
  const cache = new Map<string, string | null>();
  for (const c of containers) {
    if (c.compose === null || c.compose.dependsOn.length > 0 || c.compose.configFiles.length === 0) continue;
    for (const f of c.compose.configFiles) {
      const path = isAbsolute(f) ? f : c.compose.workingDir ? join(c.compose.workingDir, f) : null;
      if (path === null) continue;
      if (!cache.has(path)) cache.set(path, await readFile(path, 'utf8').catch(() => null));
      const text = cache.get(path);
      if (text === null || text === undefined) {
        notes.push(`${c.name}: compose file ${path} could not be read; its depends_on is unknown`);
        continue;
      }
      for (const dep of dependsOnFromComposeFile(text, c.compose.service) ?? []) {
        if (!c.compose.dependsOn.some((d) => d.name === dep.name)) c.compose.dependsOn.push(dep);
      }
    }
  }
  return notes;
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
Jobs (label upkeep.role=job, compose "run" containers) and stopped containers are never desired.
Environment values are stored (a removed container needs them to be re-created) in a 0600 file,
and never printed. Exit codes: 0 taken, 2 could not run.`,
    )
    .action(async (opts: SnapshotOptions) => {
      if (opts.list) {
        const list = await withStore(io, { ...opts, create: false }, async (store) => store.listSnapshots({ limit: 50 }));
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
      const result = await withStore(io, opts, async (store) => {
        const previous = store.latestSnapshot(state.host.id);
        const built = buildSnapshot(
          state.containers.map((facts) => ({ facts, inspect: state.inspects.get(facts.id)! })).filter((x) => x.inspect !== undefined),
          {
            host: state.host,
            takenAt: new Date().toISOString(),
            ...(opts.only ? { only: opts.only } : {}),
            previous,
            note: opts.note ?? null,
          },
        );
        const notes = await fillComposeDependsOn(built.snapshot.containers);
        const saved = store.saveSnapshot(built.snapshot);
        store.appendTimeline({ kind: 'snapshot', subject: state.host.name, message: `snapshot ${saved.id}: ${built.snapshot.containers.length} desired containers` });
        return { saved, built, notes };
      });
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
      const r = await withStore(io, { ...opts, create: false }, async (store) => {
        const res = store.forget(names);
        store.appendTimeline({ kind: 'forget', subject: names.join(','), message: `forgotten: ${res.forgotten.join(', ') || '(none)'}` });
        return res;
      });
      if (opts.json) printJson(io, r);
      else {
        if (r.forgotten.length) io.stdout.write(`Forgotten (no longer desired): ${r.forgotten.join(', ')}\n`);
        if (r.notDesired.length) io.stdout.write(`Not in the desired state anyway: ${r.notDesired.join(', ')}\n`);
      }
      setExit(EXIT.ok);
    });
}
