/**
 * The status page's HTML (server-rendered, complete without JavaScript): one function per page
 * over the data of core/status-page/views.ts. Every piece of text is escaped; no inline script or
 * style (the charts are SVG with classes). Container environment values are never in the data.
 */
import type { MaintenanceWindow } from '../../../core/maintenance-window.js';
import { htmlText as h, renderReportBody } from '../../../core/report/render-html.js';
import { latencyPolyline } from '../../../core/status-page/check-history.js';
import type { OverviewGroup, OverviewService } from '../../../core/status-page/overview.js';
import type { TimelineFilter } from '../../../core/status-page/timeline-filter.js';
import type { UptimeBar } from '../../../core/status-page/uptime.js';
import type { AlertsView, MaintenanceView, Overview, PublicEntry, ServiceView } from '../../../core/status-page/views.js';

const PAGES = [
  { path: '/', title: 'Overview' },
  { path: '/timeline', title: 'Timeline' },
  { path: '/maintenance', title: 'Maintenance' },
  { path: '/alerts', title: 'Alerts' },
] as const;

/** "2026-11-30 13:05:02Z". */
export function when(iso: string | null): string {
  if (iso === null) return '-';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function ago(iso: string | null, now: number): string {
  if (iso === null) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

function windowText(w: MaintenanceWindow): string {
  return `${w.source}${w.reason ? `: ${w.reason}` : ''} (since ${when(w.startedAt)}, ends by ${when(w.endsAt)})`;
}

/** The page around `body`: header with navigation, the maintenance banner, main, footer. */
export function layout(opts: {
  title: string;
  path: string;
  body: string;
  maintenance: readonly MaintenanceWindow[];
  generatedAt: string;
  version: string;
}): string {
  const nav = PAGES.map((p) => `<li><a href="${p.path}"${p.path === opts.path ? ' aria-current="page"' : ''}>${p.title}</a></li>`).join('');
  const open = opts.maintenance[0];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h(opts.title)} · upkeep</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/status.css">
<script src="/assets/status.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header><div class="bar"><a class="brand" href="/">upkeep</a><nav aria-label="Pages"><ul>${nav}</ul></nav></div></header>
<div id="maintenance-banner" class="banner" role="status"${open ? '' : ' hidden'}><strong>Maintenance window open</strong>: <span data-field="window">${open ? h(windowText(open)) : ''}</span>. Alerts are held (still recorded).${opts.maintenance.length > 1 ? ` ${opts.maintenance.length} windows are open.` : ''}</div>
<main id="main">
${opts.body}
</main>
<footer>upkeep ${h(opts.version)} · <span data-field="updated">generated ${h(when(opts.generatedAt))}</span> · times in UTC · <a href="/api/v1/overview">JSON API</a></footer>
</body>
</html>
`;
}

/** Whether the page offers actions, to whom, and the CSRF field of their forms. */
export interface ActionsContext {
  /** http.token is set and the agent offers actions. */
  available: boolean;
  /** ... and acknowledging alerts among them. */
  acknowledge?: boolean;
  /** The request proved the token (signed in). */
  authed: boolean;
  csrf: string;
}

const NO_ACTIONS: ActionsContext = { available: false, authed: false, csrf: '' };

/** A form posting one action (with the CSRF field and where to come back to). */
function actionForm(act: ActionsContext, action: string, back: string, label: string, fields = '', accessibleName = ''): string {
  return `<form class="action" method="post" action="/actions/${action}"><input type="hidden" name="csrf" value="${h(act.csrf)}"><input type="hidden" name="next" value="${h(back)}">${fields}<button type="submit"${accessibleName ? ` aria-label="${h(accessibleName)}"` : ''}>${h(label)}</button></form>`;
}

function signInToAct(act: ActionsContext, back: string): string {
  return act.available && !act.authed ? `<p><a href="/login?next=${encodeURIComponent(back)}">Sign in</a> with the token to act.</p>` : '';
}

const OUTCOME_TEXT = { back: 'back', 'not-back': 'NOT BACK', unknown: 'unknown' } as const;

function serviceRow(s: OverviewService, now: number): string {
  const verdict = s.verdict ? `${s.verdict}${s.verdictDetail ? `: ${s.verdictDetail}` : ''}` : '-';
  const cb = (label: string, o: keyof typeof OUTCOME_TEXT) => `<td data-label="${label}" class="o-${o}">${OUTCOME_TEXT[o]}</td>`;
  return `<tr data-service="${h(s.name)}" class="sev-${s.severity}">
<th scope="row"><a href="/services/${encodeURIComponent(s.name)}">${h(s.name)}</a>${s.role ? ` <span class="muted">${h(s.role)}</span>` : ''}</th>
<td data-label="Status"><span class="sev" data-field="severity">${s.severity}</span></td>
<td data-label="State" data-field="state">${h(s.state)}</td>
<td data-label="Health" data-field="health">${h(s.health ?? '-')}</td>
<td data-label="Restart policy">${h(s.restartPolicy)}</td>
${cb('Daemon restart', s.comesBack.daemonRestart)}${cb('Daemon crash', s.comesBack.daemonCrash)}${cb('Reboot', s.comesBack.reboot)}
<td data-label="Agent" data-field="verdict">${h(verdict)}</td>
<td data-label="Last change">${s.since ? `${h(ago(s.since, now))} ago` : '-'}</td>
</tr>`;
}

function groupSection(g: OverviewGroup, now: number): string {
  const kind = g.kind === 'compose' ? 'compose project' : g.kind === 'k3d' ? 'k3d cluster' : 'standalone containers';
  const id = `g-${g.kind}-${g.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const title = g.kind === 'standalone' ? 'Standalone containers' : `${kind} ${g.name}`;
  return `<section class="group sev-${g.severity}" data-group="${h(`${g.kind}:${g.name}`)}" aria-labelledby="${id}">
<h2 id="${id}">${h(title)} · <span class="sev" data-field="group-severity">${g.severity}</span> · <span data-field="group-running">${g.running} of ${g.total} running</span></h2>
<table class="cards">
<thead><tr><th scope="col">Container</th><th scope="col">Status</th><th scope="col">State</th><th scope="col">Health</th><th scope="col">Restart policy</th><th scope="col">Daemon restart</th><th scope="col">Daemon crash</th><th scope="col">Reboot</th><th scope="col">Agent</th><th scope="col">Last change</th></tr></thead>
<tbody>
${g.services.map((s) => serviceRow(s, now)).join('\n')}
</tbody>
</table>
</section>`;
}

export function overviewPage(o: Overview, version: string, now: number, act: ActionsContext = NO_ACTIONS): string {
  const host = o.host;
  const facts: Array<[string, string]> = [
    ['Engine', host.engineUp ? 'connected' : 'not reachable'],
    ['Docker', host.docker ? `${host.docker.version} (API ${host.docker.apiVersion})` : '-'],
    ['live-restore', host.docker ? (host.docker.liveRestore ? 'on' : 'off') : '-'],
    ['OS', host.os.name ?? `unknown: ${host.os.why ?? 'not read'}`],
    ['Kernel', kernelText(host.kernel)],
    [
      'Reboot required',
      host.rebootRequired === null
        ? `unknown: ${host.rebootWhy ?? 'not read'}`
        : host.rebootRequired
          ? `yes${host.rebootWhy ? `: ${host.rebootWhy}` : ''}`
          : 'no',
    ],
    ['Pending upgrades', host.pendingUpgrades === null ? `unknown: ${host.pendingUpgradesWhy ?? 'not read'}` : String(host.pendingUpgrades)],
    ['Engine connected for', host.engineConnectedSince ? ago(host.engineConnectedSince, now) : '-'],
    ['Agent', `${host.agent.version}, up ${ago(host.agent.startedAt, now)}`],
    ['Last reconcile', o.lastReconcileAt ? `${ago(o.lastReconcileAt, now)} ago` : '-'],
  ];
  const field: Record<string, string> = { Engine: 'engine', OS: 'os', Kernel: 'kernel', 'Reboot required': 'reboot' };
  const factList = facts.map(([k, v]) => `<dt>${h(k)}</dt><dd${field[k] ? ` data-field="${field[k]}"` : ''}>${h(v)}</dd>`).join('');
  const c = o.counts;
  const counts = `<ul class="counts" aria-label="Totals">
<li><b data-field="count-total">${c.total}</b> containers</li><li><b data-field="count-running">${c.running}</b> running</li>
<li class="sev-down"><b data-field="count-down">${c.down}</b> down</li><li class="sev-unhealthy"><b data-field="count-unhealthy">${c.unhealthy}</b> unhealthy</li>
<li class="sev-at-risk"><b data-field="count-atRisk">${c.atRisk}</b> would not come back</li></ul>`;
  const error = o.error
    ? `<div class="banner error" role="alert"><strong>The agent cannot reconcile</strong>: ${h(o.error.message)}${o.error.hint ? ` (${h(o.error.hint)})` : ''}</div>`
    : '';
  const notices = o.notices.length > 0 ? `<h2>Notes</h2><ul>${o.notices.map((n) => `<li>${h(n)}</li>`).join('')}</ul>` : '';
  const body = `<div data-live="overview" data-updated="${h(o.generatedAt)}">
<h1>${h(host.name ?? 'This host')}</h1>
${error}
<dl class="facts">${factList}</dl>
${counts}
${act.available && act.authed ? actionForm(act, 'recover', '/', 'Run a recovery pass now') : signInToAct(act, '/')}
${o.groups.length === 0 ? '<p>No containers.</p>' : o.groups.map((g) => groupSection(g, now)).join('\n')}
${notices}
</div>`;
  return layout({ title: host.name ?? 'Overview', path: '/', body, maintenance: o.maintenance, generatedAt: o.generatedAt, version });
}

/** "6.1.0-41-amd64 running, 6.1.0-42-amd64 installed", or what is known and why the rest is not. */
export function kernelText(k: Overview['host']['kernel']): string {
  if (k.running === null) return `unknown: ${k.why ?? 'not read'}`;
  if (k.newestInstalled === null) return `${k.running} running; newest installed unknown: ${k.why ?? 'not read'}`;
  return k.newestInstalled === k.running ? `${k.running} running (the newest installed)` : `${k.running} running, ${k.newestInstalled} installed`;
}

/** "99.50% up", with how much of the time had data when not all of it; "no data". */
export function uptimeText(up: number | null, data: number): string {
  if (up === null) return 'no data';
  const share = data < 0.001 ? 'less than 0.1' : (data * 100).toFixed(1);
  return `${(up * 100).toFixed(2)}% up${data < 0.9995 ? ` (data for ${share}% of the time)` : ''}`;
}

function uptimeSvg(bar: UptimeBar): string {
  const n = bar.buckets.length;
  const rects = bar.buckets
    .map((b, i) => {
      const cls = b.up === null ? 'u-none' : b.up >= 0.999 ? 'u-full' : b.up <= 0.001 ? 'u-down' : 'u-part';
      return `<rect x="${i}" y="0" width="0.8" height="10" class="${cls}"><title>${h(when(b.start))}: ${h(uptimeText(b.up, b.data))}</title></rect>`;
    })
    .join('');
  return `<svg class="uptime" viewBox="0 0 ${n} 10" preserveAspectRatio="none" role="img" aria-label="${h(`${bar.label}: ${uptimeText(bar.uptime, bar.data)}`)}">${rects}</svg>`;
}

function entriesTable(entries: readonly PublicEntry[], empty: string): string {
  if (entries.length === 0) return `<p>${h(empty)}</p>`;
  const rows = entries
    .map(
      (e) =>
        `<tr><td data-label="Time" class="mono">${h(when(e.at))}</td><td data-label="Kind">${h(e.kind)}</td><td data-label="Subject">${h(e.subject ?? '-')}</td><td data-label="What">${h(firstLine(e.detail.message))}${e.detail.reconstructed ? ' <span class="muted">(reconstructed)</span>' : ''}</td></tr>`,
    )
    .join('\n');
  return `<table class="cards"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Kind</th><th scope="col">Subject</th><th scope="col">What</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function firstLine(text: string): string {
  const first = text.split('\n')[0] ?? '';
  return first.length < text.length ? `${first} [...]` : first;
}

export function servicePage(v: ServiceView, version: string, _now: number): string {
  const s = v.service;
  const bars = v.uptime.map((b) => `<h3>${h(b.label)} · ${h(uptimeText(b.uptime, b.data))}</h3>${uptimeSvg(b)}`).join('\n');
  const checks =
    v.checks.length === 0
      ? '<p>No health check configured for it (config <code>services:</code>).</p>'
      : v.checks
          .map((c) => {
            const line = latencyPolyline(c.points, 300, 60);
            const fails = c.points.filter((p) => !p.ok).length;
            const last = c.points[c.points.length - 1];
            const label = `latency of ${c.check}: ${c.points.length} results, longest ${(line.maxSeconds * 1000).toFixed(0)} ms, ${fails} failed`;
            return `<h3>${h(c.check)}</h3><p>${last ? `last ${last.ok ? 'ok' : 'FAILED'} at ${h(when(new Date(last.at).toISOString()))}, ${(last.seconds * 1000).toFixed(0)} ms` : 'no result yet'}; ${fails} of ${c.points.length} failed</p>
<svg class="chart" viewBox="0 0 300 60" preserveAspectRatio="none" role="img" aria-label="${h(label)}">${line.points ? `<polyline points="${line.points}"/>` : ''}</svg>`;
          })
          .join('\n');
  const cb = (label: string, o: keyof typeof OUTCOME_TEXT) => `<dt>${label}</dt><dd class="o-${o}">${OUTCOME_TEXT[o]}</dd>`;
  const body = `<h1>${h(s.name)}</h1>
<p>${v.group.kind === 'standalone' ? 'Standalone container' : `${v.group.kind === 'compose' ? 'Compose project' : 'k3d cluster'} <a href="/">${h(v.group.name)}</a>`}${s.role ? `, ${h(s.role)}` : ''} · <span class="sev sev-${s.severity}">${s.severity}</span></p>
<dl class="facts">
<dt>State</dt><dd>${h(s.state)}</dd><dt>Health</dt><dd>${h(s.health ?? '-')}</dd><dt>Image</dt><dd class="mono">${h(s.image)}</dd>
<dt>Restart policy</dt><dd>${h(s.restartPolicy)}</dd><dt>Desired</dt><dd>${h(s.desired ?? 'no desired state yet')}</dd>
<dt>Agent</dt><dd>${h(s.verdict ? `${s.verdict}${s.verdictDetail ? `: ${s.verdictDetail}` : ''}` : '-')}</dd>
${cb('After a daemon restart', s.comesBack.daemonRestart)}${cb('After a daemon crash', s.comesBack.daemonCrash)}${cb('After a reboot', s.comesBack.reboot)}
</dl>
${s.riskReason ? `<p><strong>Why it would not come back:</strong> ${h(s.riskReason)}</p>` : ''}
<h2>Uptime</h2>
<p class="muted">From the timeline and the engine's start time. Grey: no data (before upkeep saw it, or a change it did not see), counted neither up nor down.</p>
${bars}
<h2>Checks</h2>
${checks}
${v.lastLogs ? `<h2>Last log lines upkeep captured</h2><p>When it gave up, ${h(when(v.lastLogs.at))} (secrets masked):</p><pre>${h(v.lastLogs.text)}</pre>` : ''}
<h2>Audit</h2>
${
  v.findings.length === 0
    ? '<p>No finding of <code>upkeep audit</code> about it.</p>'
    : `<ul class="findings">${v.findings
        .map(
          (f) =>
            `<li><strong>${h(f.severity)}</strong> ${h(f.message)} <span class="muted">(${h(f.ruleId)}, ${h(f.docs)})</span>${f.fix ? `<br>Fix: <code>${h(f.fix)}</code>` : ''}</li>`,
        )
        .join('')}</ul>`
}
<h2>Events</h2>
${entriesTable([...v.events].reverse(), 'Nothing recorded about it in the last 90 days.')}`;
  return layout({ title: s.name, path: `/services/${s.name}`, body, maintenance: v.maintenance, generatedAt: v.generatedAt, version });
}

export function timelinePage(
  entries: readonly PublicEntry[],
  f: TimelineFilter,
  raw: { since: string; until: string; kind: string; subject: string },
  maintenance: readonly MaintenanceWindow[],
  generatedAt: string,
  version: string,
): string {
  const field = (name: keyof typeof raw, label: string, placeholder: string) =>
    `<label for="f-${name}">${label}<input id="f-${name}" name="${name}" value="${h(raw[name])}" placeholder="${h(placeholder)}"></label>`;
  const body = `<h1>Timeline</h1>
<form class="filter" method="get" action="/timeline" role="search" aria-label="Filter the timeline">
${field('kind', 'Kinds (comma-separated)', 'container-died,healed or alert-*')}${field('subject', 'Subject', 'container, host or alert')}
${field('since', 'Since', '24h, 7d or 2026-11-20T15:00')}${field('until', 'Until', 'now')}
<button type="submit">Show</button>
</form>
<p>${entries.length} entries since ${h(when(f.since))}${f.until ? ` until ${h(when(f.until))}` : ''}${entries.length >= f.limit ? ` (the newest ${f.limit})` : ''}, newest first; the same as <code>upkeep timeline</code>.</p>
${entriesTable([...entries].reverse(), 'Nothing recorded for this filter.')}`;
  return layout({ title: 'Timeline', path: '/timeline', body, maintenance, generatedAt, version });
}

export function maintenancePage(m: MaintenanceView, version: string, now: number, act: ActionsContext = NO_ACTIONS): string {
  const open =
    m.open.length === 0 ? '<p>No maintenance window is open.</p>' : `<ul>${m.open.map((w) => `<li>Window ${w.id}: ${h(windowText(w))}</li>`).join('')}</ul>`;
  const pf = m.preflight;
  const preflight =
    pf === null
      ? '<p>No preflight in the last 30 days: run <code>upkeep preflight</code>.</p>'
      : `<p>${h(pf.detail.message)} <span class="muted">(${h(ago(pf.at, now))} ago, ${h(when(pf.at))})</span></p>${
          Array.isArray(pf.detail.notBack) && pf.detail.notBack.length > 0
            ? `<p>Would not come back: ${h((pf.detail.notBack as unknown[]).map(String).join(', '))}</p>`
            : ''
        }`;
  const steps = m.upgradeSteps.length === 0 ? '<p>No <code>upkeep upgrade</code> in the last 7 days.</p>' : entriesTable(m.upgradeSteps, '');
  const past =
    m.past.length === 0
      ? '<p>No past maintenance recorded.</p>'
      : m.past
          .map(
            (p) =>
              `<details><summary>Window ${p.window.id}: ${h(p.window.source)}${p.window.reason ? ` (${h(p.window.reason)})` : ''}, ${h(when(p.window.startedAt))} · ${h(p.report.severity.level)}</summary><div class="report">${renderReportBody(p.report)}</div></details>`,
          )
          .join('\n');
  const controls =
    act.available && act.authed
      ? `${m.open.length > 0 ? actionForm(act, 'maintenance-close', '/maintenance', 'Close the open windows') : ''}
${actionForm(
  act,
  'maintenance-open',
  '/maintenance',
  'Open a maintenance window',
  '<label for="m-reason">Reason<input id="m-reason" name="reason" maxlength="200"></label><label for="m-for">For<input id="m-for" name="for" value="1h" size="5"></label>',
)}`
      : signInToAct(act, '/maintenance');
  const body = `<h1>Maintenance</h1>
<h2>Open now</h2>
${open}
${controls}
<h2>Pending upgrades: the last preflight</h2>
${preflight}
<h2>The last upkeep upgrade</h2>
${steps}
<h2>Scheduled</h2>
${entriesTable(m.scheduled, 'Nothing scheduled or cancelled in the last 30 days.')}
<h2>Past maintenance and its reports</h2>
${past}`;
  return layout({ title: 'Maintenance', path: '/maintenance', body, maintenance: m.open, generatedAt: m.generatedAt, version });
}

export function alertsPage(a: AlertsView, version: string, act: ActionsContext = NO_ACTIONS): string {
  const canAck = act.acknowledge === true && act.authed;
  const ackCell = (x: AlertsView['alerts'][number]): string => {
    if (x.acknowledged) return `by ${h(x.acknowledged.by)} at ${h(when(x.acknowledged.at))}`;
    if (x.phase !== 'firing') return '-';
    return canAck
      ? actionForm(
          act,
          'alert-acknowledge',
          '/alerts',
          'Acknowledge',
          `<input type="hidden" name="alert" value="${h(x.key)}">${x.firingSince === null ? '' : `<input type="hidden" name="firing-since" value="${h(x.firingSince)}">`}`,
          `Acknowledge ${x.key}`,
        )
      : 'no';
  };
  const states =
    a.alerts.length === 0
      ? '<p>Nothing is firing or pending.</p>'
      : `<table class="cards"><thead><tr><th scope="col">Alert</th><th scope="col">Phase</th><th scope="col">Active since</th><th scope="col">Firing since</th><th scope="col">Held</th><th scope="col">Acknowledged</th></tr></thead><tbody>${a.alerts
          .map(
            (x) =>
              `<tr class="sev-${x.phase === 'firing' ? 'down' : 'at-risk'}" data-alert="${h(x.key)}"><th scope="row">${h(x.key)}</th><td data-label="Phase"><span class="sev">${h(x.phase)}${x.acknowledged ? ', acknowledged' : ''}</span></td><td data-label="Active since">${h(when(x.activeSince))}</td><td data-label="Firing since">${h(when(x.firingSince))}</td><td data-label="Held">${x.held ? 'yes (maintenance)' : 'no'}</td><td data-label="Acknowledged" data-field="acknowledged">${ackCell(x)}</td></tr>`,
          )
          .join(
            '',
          )}</tbody></table>${act.acknowledge === true && !act.authed && a.alerts.some((x) => x.phase === 'firing' && !x.acknowledged) ? signInToAct(act, '/alerts') : ''}`;
  const channels =
    a.channels.length === 0
      ? '<p>No delivery in the last 7 days.</p>'
      : `<table class="cards"><thead><tr><th scope="col">Channel</th><th scope="col">Delivered</th><th scope="col">Failed</th><th scope="col">Last failure</th></tr></thead><tbody>${a.channels
          .map(
            (c) =>
              `<tr><th scope="row">${h(c.channel)}</th><td data-label="Delivered">${c.delivered}</td><td data-label="Failed"${c.failed > 0 ? ' class="o-not-back"' : ''}>${c.failed}</td><td data-label="Last failure">${c.lastFailureAt ? `${h(when(c.lastFailureAt))}: ${h(c.lastError ?? '')}` : '-'}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const body = `<h1>Alerts</h1>
<h2>Firing and pending</h2>
${states}
<h2>Deliveries per channel (7 days)</h2>
${channels}
<h2>Recent alert events</h2>
${entriesTable([...a.recent].reverse(), 'No alert in the last 7 days.')}`;
  return layout({ title: 'Alerts', path: '/alerts', body, maintenance: a.maintenance, generatedAt: a.generatedAt, version });
}

export function loginPage(next: string, failed: boolean, version: string): string {
  const body = `<h1>Sign in</h1>
<p>This agent is reachable from other hosts: its pages need the token set as <code>http.token</code> in its config.</p>
${failed ? '<p class="banner error" role="alert">That token is not the right one.</p>' : ''}
<form class="login" method="post" action="/login">
<input type="hidden" name="next" value="${h(next)}">
<label for="token">Token<input id="token" name="token" type="password" autocomplete="current-password" required></label>
<p><button type="submit">Sign in</button></p>
</form>`;
  return layout({ title: 'Sign in', path: '/login', body, maintenance: [], generatedAt: new Date().toISOString(), version });
}

export function messagePage(title: string, text: string, version: string): string {
  return layout({ title, path: '', body: `<h1>${h(title)}</h1><p>${h(text)}</p>`, maintenance: [], generatedAt: new Date().toISOString(), version });
}
