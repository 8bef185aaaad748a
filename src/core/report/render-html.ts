/**
 * The report as one self-contained HTML file: inline CSS only, no script, no link, no external
 * asset; every piece of text escaped.
 */
import { backText, clock, formatSeconds, headerLines, WORDS, type Report } from './report.js';

/** Escapes text for HTML element content and attribute values. */
export function htmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}dt{font-weight:600;float:left;clear:left;width:6rem}dd{margin-left:6.5rem}
.sev-none,.sev-low{color:#1a7f37}.sev-medium{color:#9a6700}.sev-high,.sev-critical{color:#cf222e}
.wrong,.down{color:#cf222e}.correct{color:#1a7f37}footer{margin-top:2rem;color:#57606a;font-size:.85rem}`;

function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<{ text: string; cls?: string }>>): string {
  const th = header.map((h) => `<th>${htmlText(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td${c.cls ? ` class="${c.cls}"` : ''}>${htmlText(c.text)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead>\n<tbody>\n${trs}\n</tbody></table>`;
}

function list(lines: readonly string[], none: string): string {
  return lines.length === 0 ? `<p>${htmlText(none)}</p>` : `<ul>\n${lines.map((l) => `<li>${htmlText(l)}</li>`).join('\n')}\n</ul>`;
}

/** Renders the report (see the file comment). */
export function renderReportHtml(r: Report): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(r.title)}</title>
<style>
${CSS}
</style>
</head>
<body>
${renderReportBody(r)}
</body>
</html>
`;
}

/** The report's content alone (headings, tables, lists; no style): what a page that has its own stylesheet embeds. */
export function renderReportBody(r: Report): string {
  const parts: string[] = [];
  parts.push(`<h1>${htmlText(r.title)}</h1>`);
  parts.push(
    `<dl>${headerLines(r)
      .map(([label, text]) => `<dt>${htmlText(label)}</dt><dd${label === 'Severity' ? ` class="sev-${r.severity.level}"` : ''}>${htmlText(text)}</dd>`)
      .join('')}</dl>`,
  );
  parts.push(`<h2>Summary</h2>\n<p>${htmlText(r.summary)}</p>`);
  parts.push(
    `<h2>Timeline</h2>\n${
      r.timeline.length === 0
        ? '<p>Nothing recorded.</p>'
        : table(
            ['Time (UTC)', 'Event'],
            r.timeline.map((row) => [{ text: clock(row.at) }, { text: row.event }]),
          )
    }`,
  );
  parts.push(
    `<h2>Services</h2>\n${
      r.outages.length === 0
        ? '<p>No service was down.</p>'
        : table(
            ['Service', 'Restart policy', 'Down at', 'Back at', 'Down for', 'Brought back by'],
            r.outages.map((o) => [
              { text: `${o.container}${o.service !== null ? ` (${o.service})` : ''}${o.desired ? '' : ' (not desired)'}` },
              { text: o.policy ?? 'unknown' },
              { text: clock(o.downAt) },
              { text: backText(o), ...(o.backAt === null ? { cls: 'down' } : {}) },
              { text: `${formatSeconds(o.seconds)}${o.backAt === null ? '+' : ''}` },
              {
                text: `${o.by === null ? 'nobody yet' : WORDS.by[o.by]}${o.cause === 'operator-stop' ? ' (stopped on purpose)' : ''}${o.inferred ? ' (inferred)' : ''}`,
              },
            ]),
          )
    }`,
  );
  parts.push(`<h2>Root cause</h2>\n${list(r.rootCause, 'Nothing in the timeline explains an outage.')}`);
  parts.push(`<h2>What upkeep did</h2>\n${list(r.upkeepDid, 'Nothing recorded.')}`);
  parts.push(`<h2>What still needs a human</h2>\n${list(r.needsHuman, 'Nothing.')}`);
  parts.push(
    `<h2>Prediction and outcome</h2>\n${
      r.prediction === null
        ? '<p>No preflight ran before: no prediction to compare with.</p>'
        : `<p>The preflight at ${clock(r.prediction.at)} (verdict: ${htmlText(r.prediction.verdict)}) predicted, per service:</p>\n${table(
            ['Service', 'Predicted', 'Happened', 'Verdict'],
            r.prediction.rows.map((p) => [
              { text: p.container },
              { text: WORDS.predicted[p.predicted] },
              { text: WORDS.happened[p.happened] },
              { text: WORDS.verdict[p.verdict], cls: p.verdict },
            ]),
          )}`
    }`,
  );
  if (r.packages.count !== null || r.packages.notable.length > 0)
    parts.push(
      `<h2>Key packages</h2>\n${list(
        [
          ...r.packages.notable.map((p) => `${p.name}: ${p.from ?? 'unknown'} -> ${p.to ?? 'unknown'}`),
          `Total: ${r.packages.count ?? 'unknown'} packages (from the ${r.packages.source === 'apt' ? 'apt run' : 'preflight'})`,
        ],
        '',
      )}`,
    );
  if (r.rollback !== undefined) {
    const rb = r.rollback;
    parts.push(
      `<h2>Rollback</h2>\n<p>Recorded before apt ran, at ${htmlText(rb.recordedAt)}.</p>\n${rb.command === null ? '<p>No old version can be reinstalled.</p>' : `<pre><code>${htmlText(rb.command)}</code></pre>`}\n${table(
        ['Package', 'Before', 'After', 'Way back'],
        rb.packages.map((p) => [
          { text: `${p.name}${p.critical ? ' (engine/kernel)' : ''}` },
          { text: p.from },
          { text: p.to ?? 'removed' },
          p.via === 'none' ? { text: `none: ${p.why ?? ''}`, cls: 'wrong' } : { text: `${p.via}: ${p.where ?? ''}` },
        ]),
      )}${rb.newPackages.length > 0 ? `\n<p>New packages (a rollback removes them): ${htmlText(rb.newPackages.join(', '))}</p>` : ''}`,
    );
  }
  if (r.notes.length > 0) parts.push(`<h2>Notes</h2>\n${list(r.notes, '')}`);
  parts.push(
    `<footer>Generated by upkeep report at ${htmlText(r.generatedAt)} from the timeline${r.snapshot !== null ? ` and snapshot ${r.snapshot.id} (${r.snapshot.desired} desired services)` : ''}.</footer>`,
  );
  return parts.join('\n');
}
