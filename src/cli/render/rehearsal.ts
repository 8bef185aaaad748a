/** `upkeep rehearse`'s output: text for people and the JSON of --json (docs/rehearse.md). */
import type { Rehearsal } from '../../app/rehearse.js';

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

export function rehearsalJson(r: Rehearsal): Record<string, unknown> {
  return {
    exitCode: r.exitCode,
    upgradeFailed: r.upgradeFailed,
    aptExit: r.aptExit,
    failure: r.failure,
    view: { rootType: r.layers.rootType, overlays: r.layers.overlays, notCopied: r.layers.notCopied },
    services: r.services,
    calls: r.calls,
    bootSteps: r.bootSteps,
    failures: r.failures,
    conffiles: r.conffiles,
    triggers: r.triggers,
    kernels: r.kernels,
    bootFiles: r.bootFiles,
    reboot: r.reboot,
    upperBytes: r.upperBytes,
    seconds: Math.round(r.seconds * 10) / 10,
    comparison: r.comparison,
    consequences: {
      verdict: r.observed.verdict,
      docker: r.observed.docker,
      containers: r.observed.containers,
      restartedUnits: r.observed.restartedUnits,
      reboot: r.observed.reboot,
    },
    prediction: {
      plan: r.prediction.planSource,
      problems: r.prediction.problems,
      containersNote: r.prediction.containersNote,
      downloadNote: r.prediction.downloadNote,
      ...r.prediction.report,
    },
    tail: r.upgradeFailed ? r.tail : [],
    timelineNote: r.timelineNote,
  };
}

export function renderRehearsalText(r: Rehearsal): string {
  const out: string[] = [];
  const pkgs = r.prediction.report.summary.packages;
  out.push(
    `Rehearsed ${pkgs} package(s) in a throwaway view of / (${r.layers.rootType})${r.layers.overlays.map((o) => `, ${o.target} (${o.fstype})`).join('')}: ` +
      `${r.seconds.toFixed(1)} s, ${mib(r.upperBytes)} written.`,
  );
  for (const n of r.layers.notCopied) out.push(`  not copied: ${n.target} (${n.why})`);
  out.push(r.upgradeFailed ? `THE UPGRADE FAILS (apt-get exit ${r.aptExit ?? 'none'}${r.failure ? `: ${r.failure}` : ''}).` : 'The upgrade succeeds.');
  out.push('', 'Service actions requested (all refused in the view):');
  if (r.services.length === 0) out.push('  none');
  for (const s of r.services) out.push(`  ${s.unit} ${s.action}  (${s.package ?? 'no package'} ${s.script ?? ''}, via ${s.via})`.trimEnd());
  if (r.failures.length > 0) {
    out.push('', 'Maintainer scripts that failed:');
    for (const f of r.failures) {
      out.push(`  ${f.package} ${f.script ?? '(script?)'} exit ${f.exitCode ?? '?'}`);
      for (const l of f.lastLines) out.push(`    | ${l}`);
    }
  }
  if (r.conffiles.length > 0) {
    out.push('', 'Conffile questions (answered by --force-confdef --force-confold):');
    for (const c of r.conffiles) {
      out.push(`  ${c.path}: ${c.answer}`);
      if (c.diff !== null) for (const l of c.diff.split('\n').slice(0, 40)) if (l !== '') out.push(`    ${l}`);
    }
  }
  if (r.bootSteps.length > 0) {
    out.push('', 'Boot loader and initramfs steps (recorded, not run):');
    for (const b of r.bootSteps) out.push(`  ${b.tool} ${b.args}  (${b.package ?? 'no package'})`.trimEnd());
  }
  if (r.kernels.length > 0) out.push('', `Kernel(s) installed: ${r.kernels.join(', ')}`);
  if (r.triggers.length > 0) out.push(`Triggers run: ${r.triggers.join(', ')}`);
  out.push(
    r.reboot.required === true
      ? `Reboot required (${r.reboot.packages.join(', ') || 'no packages named'}).`
      : r.reboot.required === null
        ? `Whether the upgrade asks for a reboot is not known: ${r.reboot.why ?? 'the flag could not be read'}.`
        : 'No reboot-required flag written.',
  );
  const marked = r.comparison.filter((c) => c.mark !== 'confirmed');
  out.push(
    '',
    `Beside preflight's prediction: ${r.comparison.filter((c) => c.mark === 'confirmed').length} confirmed, ${r.comparison.filter((c) => c.mark === 'missed').length} missed, ${r.comparison.filter((c) => c.mark === 'wrong').length} wrong.`,
  );
  for (const c of marked)
    out.push(`  ${c.mark.toUpperCase()}: ${c.package} ${c.unit}: predicted ${c.predicted ?? 'nothing'}, observed ${c.observed ?? 'nothing'}`);
  const o = r.observed;
  out.push('', `From the observed actions: ${o.docker.restarts ? 'docker.service restarts' : 'docker.service does not restart'}; verdict ${o.verdict}.`);
  for (const c of o.containers ?? []) if (c.runningAtEnd !== 'yes') out.push(`  ${c.name}: running at the end: ${c.runningAtEnd} (${c.policy})`);
  if (r.prediction.containersNote) out.push(`  ${r.prediction.containersNote}`);
  if (r.upgradeFailed && r.failures.length === 0) {
    out.push('', "apt's last lines:");
    for (const l of r.tail) out.push(`  | ${l}`);
  }
  if (r.timelineNote) out.push('', `note: ${r.timelineNote}`);
  out.push('', 'Nothing on this host was changed: the view, its processes and its mounts are gone.');
  return `${out.join('\n')}\n`;
}
