/**
 * The one message sent to the alert channels when a maintenance window ends (the agent sends it,
 * after the recovery pass an apt window asks for): the outcome, how long desired services were down,
 * which needed upkeep or the operator, which still need a human, and where the whole report is.
 * Built from the maintenance's report (report.ts), so it says what the report says. Pure.
 */
import { formatSeconds, type Report } from './report.js';

export interface MaintenanceSummary {
  id: string;
  severity: 'critical' | 'warning' | 'info';
  title: string;
  text: string;
  data: Record<string, unknown>;
}

/** The summary of `report` (a maintenance's); `extra` lines (e.g. the recovery pass's outcomes) go before the report's pointer. */
export function maintenanceSummary(report: Report, extra: readonly string[] = []): MaintenanceSummary {
  const window = report.scope.kind === 'maintenance' ? report.scope.window : null;
  const name = window === null ? 'maintenance' : `maintenance ${window.id} (${window.source})`;
  const desired = report.outages.filter((o) => o.desired && o.cause !== 'operator-stop');
  const stillDown = desired.filter((o) => o.backAt === null);
  const helped = desired.filter((o) => o.backAt !== null && (o.by === 'upkeep' || o.by === 'operator'));
  const outcome =
    desired.length === 0
      ? 'no desired service went down'
      : stillDown.length > 0
        ? `${stillDown.length} desired service(s) still down: ${stillDown.map((o) => o.container).join(', ')}`
        : `${desired.length} desired service(s) went down, all back`;
  const lines = [
    report.summary,
    ...(report.impact === null ? [] : [`Services down for ${formatSeconds(report.impact.seconds)} in all; severity ${report.severity.level}.`]),
    ...(helped.length === 0 ? [] : [`Needed upkeep or the operator: ${helped.map((o) => `${o.container} (${o.by})`).join(', ')}.`]),
    ...report.needsHuman.map((l) => `Needs a human: ${l}`),
    ...extra,
    window === null ? 'The report: `upkeep report`.' : `The report: \`upkeep report ${window.id}\` (--format md|json|html).`,
  ];
  return {
    id: `maintenance-summary:${window?.id ?? report.period.from}`,
    severity: stillDown.length > 0 ? 'critical' : helped.length > 0 ? 'warning' : 'info',
    title: `${name[0]!.toUpperCase()}${name.slice(1)} ended on ${report.host ?? 'this host'}: ${outcome}`,
    text: lines.join('\n'),
    data: {
      maintenanceId: window?.id ?? null,
      severity: report.severity.level,
      downSeconds: report.impact?.seconds ?? 0,
      stillDown: stillDown.map((o) => o.container),
      neededHelp: helped.map((o) => ({ container: o.container, by: o.by })),
    },
  };
}
