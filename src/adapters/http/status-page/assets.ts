/**
 * The status page's stylesheet and script, shipped inside the code (so they are found the same way
 * from a checkout, the bundle and the single executable: no file to locate at run time, no CDN).
 * Served at /assets/status.css and /assets/status.js; the page has no inline script or style
 * (CSP `script-src 'self'; style-src 'self'`).
 */

/** Light by default, dark when the system prefers it; readable at 390 px (tables become cards). */
export const STATUS_CSS = `:root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;
--down:#b42318;--warn:#8a5a00;--ok:#1a7f37;--info:#0b5cad;--bar-none:#d0d7de;--link:#0b5cad}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--panel:#161b22;
--down:#ff7b72;--warn:#e3b341;--ok:#3fb950;--info:#79c0ff;--bar-none:#30363d;--link:#79c0ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
a{color:var(--link)}
.skip{position:absolute;left:-999px;top:0}.skip:focus{left:.5rem;background:var(--panel);padding:.3rem .6rem;z-index:2}
header{border-bottom:1px solid var(--line);background:var(--panel)}
header .bar{max-width:72rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline}
header .brand{font-weight:700;color:var(--fg);text-decoration:none}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem .9rem}
nav a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--fg)}
main{max-width:72rem;margin:0 auto;padding:1rem}
footer{max-width:72rem;margin:0 auto;padding:1rem;color:var(--muted);font-size:.85rem}
h1{font-size:1.5rem;margin:.2rem 0 .8rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
.banner{background:var(--panel);border:2px solid var(--warn);border-radius:6px;max-width:70rem;margin:.8rem auto 0;padding:.6rem 1rem}
.banner strong{color:var(--warn)}
.error{border-color:var(--down)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.counts{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.8rem 0;padding:0;list-style:none}
.counts b{font-size:1.2rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.85rem}
.sev{font-weight:700}
.sev-down .sev,.sev-down.sev,.o-not-back{color:var(--down)}
.sev-unhealthy .sev,.sev-unhealthy.sev,.sev-at-risk .sev,.sev-at-risk.sev,.o-unknown{color:var(--warn)}
.sev-ok .sev,.sev-ok.sev,.o-back{color:var(--ok)}
.sev-stopped .sev,.sev-stopped.sev{color:var(--muted)}
.muted{color:var(--muted)}
.mono,pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
pre{background:var(--panel);border:1px solid var(--line);padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
svg.uptime{width:100%;height:1.6rem;display:block}
svg .u-full{fill:var(--ok)}svg .u-part{fill:var(--warn)}svg .u-down{fill:var(--down)}svg .u-none{fill:var(--bar-none)}
svg.chart{width:100%;max-width:36rem;height:5rem;display:block;border:1px solid var(--line);background:var(--panel)}
svg.chart polyline{fill:none;stroke:var(--info);stroke-width:1.5}
svg.chart .fail{fill:var(--down)}
form.filter{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:end;margin:.5rem 0 1rem}
form.action{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}
form.action label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
form.filter label,form.login label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--muted);border-radius:4px;padding:.3rem .5rem}
button{cursor:pointer;background:var(--panel)}
details{margin:.4rem 0;border:1px solid var(--line);border-radius:6px;padding:.4rem .8rem}
details .report h1{font-size:1.1rem}details .report h2{font-size:1rem}
.live{font-size:.8rem;color:var(--muted)}
@media (max-width:640px){
 table.cards thead{position:absolute;left:-999px}
 table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
 table.cards tr{border:1px solid var(--line);border-radius:6px;margin:.5rem 0;padding:.3rem .5rem}
 table.cards td{border:0;padding:.1rem 0}
 table.cards td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}
}
`;

/**
 * Live updates: subscribes to /api/v1/events (Server-Sent Events, one `overview` event per
 * change) and updates the overview's rows and counts and every page's maintenance banner in
 * place. Without JavaScript the pages are complete as served.
 */
export const STATUS_JS = `(function () {
  'use strict';
  if (!('EventSource' in window)) return;
  var banner = document.getElementById('maintenance-banner');
  var live = document.querySelector('[data-live=overview]');
  var source = new EventSource('/api/v1/events');
  window.addEventListener('pagehide', function () { source.close(); });
  function setText(el, field, text) {
    var n = el.querySelector('[data-field="' + field + '"]');
    if (n && n.textContent !== text) n.textContent = text;
  }
  function windowText(w) {
    return w.source + (w.reason ? ': ' + w.reason : '') + ' (since ' + w.startedAt.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z') +
      ', ends by ' + w.endsAt.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z') + ')';
  }
  source.addEventListener('overview', function (ev) {
    var o;
    try { o = JSON.parse(ev.data); } catch (e) { return; }
    if (banner) {
      if (o.maintenance.length > 0) { setText(banner, 'window', windowText(o.maintenance[0])); banner.hidden = false; }
      else banner.hidden = true;
    }
    if (!live) return;
    var missing = false;
    o.groups.forEach(function (g) {
      var sec = live.querySelector('section[data-group="' + CSS.escape(g.kind + ':' + g.name) + '"]');
      if (!sec) { missing = true; return; }
      sec.className = 'group sev-' + g.severity;
      setText(sec, 'group-severity', g.severity);
      setText(sec, 'group-running', g.running + ' of ' + g.total + ' running');
      g.services.forEach(function (s) {
        var tr = sec.querySelector('tr[data-service="' + CSS.escape(s.name) + '"]');
        if (!tr) { missing = true; return; }
        tr.className = 'sev-' + s.severity;
        setText(tr, 'severity', s.severity);
        setText(tr, 'state', s.state);
        setText(tr, 'health', s.health || '-');
        setText(tr, 'verdict', s.verdict ? s.verdict + (s.verdictDetail ? ': ' + s.verdictDetail : '') : '-');
      });
    });
    ['total', 'running', 'down', 'unhealthy', 'atRisk'].forEach(function (k) { setText(live, 'count-' + k, String(o.counts[k])); });
    setText(live, 'engine', o.host.engineUp ? 'connected' : 'not reachable');
    live.setAttribute('data-updated', o.generatedAt);
    setText(document, 'updated', 'live, updated ' + o.generatedAt.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z'));
    if (missing) window.location.reload();
  });
})();
`;

/** A small icon (the browser asks for one; a 404 would show as a failed request). */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#1a7f37"/></svg>`;
