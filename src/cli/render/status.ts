/** The status report for people (a table with numbered reasons) and for scripts (JSON): used by status and check. */
import { clusterLines } from '../../core/k3d/cluster.js';
import { renderTable } from '../../core/render/table.js';
import { statusTable, type StatusReport } from '../../core/status-report.js';
import { painter, type Io } from '../io.js';

export function renderStatusText(io: Io, report: StatusReport): string {
  const paint = painter(io);
  const table = statusTable(report);
  if (table.rows.length === 0) return 'No containers on this engine.\n';
  const text = renderTable(
    table.header,
    table.rows.map((r) => r.cells),
    (cell, row, col) => {
      const outcome = table.rows[row]?.outcomes[col] ?? null;
      if (outcome === 'not-back' && cell.startsWith('NOT BACK')) return paint('red', cell);
      if (outcome === 'unknown') return paint('yellow', cell);
      if (outcome === 'back' && cell.startsWith('STARTS')) return paint('yellow', cell);
      return cell;
    },
  );
  const notes = table.footnotes.map((f, i) => `(${i + 1}) ${f}`);
  const daemonLine = `Docker ${report.daemon.serverVersion} (API ${report.daemon.apiVersion}), live-restore ${report.daemon.liveRestore ? 'on' : 'off'}`;
  const notices = report.notices.map((n) => `note: ${n}`);
  const clusters = clusterLines(report.clusters).map((l) => (/^cluster .*(NOT BACK|DOWN|PARTIAL)/.test(l) ? paint('red', l) : l));
  return (
    [
      daemonLine,
      '',
      text,
      ...(clusters.length ? ['', 'k3d clusters (servers, then agents, then the load balancer):', ...clusters] : []),
      ...(notes.length ? ['', ...notes] : []),
      ...(notices.length ? ['', ...notices] : []),
    ].join('\n') + '\n'
  );
}

export function statusJson(report: StatusReport): unknown {
  return {
    daemon: report.daemon,
    containers: report.containers,
    summary: report.summary,
    clusters: report.clusters,
    notices: report.notices,
    desired: report.desired,
  };
}
