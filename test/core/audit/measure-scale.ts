/**
 * Prints how audit time grows with the file (issue "Trust" B5): compose files of n lines, and
 * templates with n nested `{% if %}`. Not a test (no timed assertion): run
 *   node --import tsx test/core/audit/measure-scale.ts [max-lines]
 */
import { auditFile, fixFile } from '../../../src/core/audit/audit-file.js';

function composeOf(lines: number): string {
  const out = ['services:'];
  for (let i = 0; out.length < lines; i++) {
    out.push(
      `  # service ${i}`,
      `  svc${i}:`,
      `    image: example/app:${i}`,
      `    ports: ["${10000 + (i % 50000)}:80"]`,
      '    environment:',
      `      - MODE=production-${i}`,
    );
  }
  return out.slice(0, lines).join('\n') + '\n';
}

function nestedIfs(depth: number): string {
  const open = Array.from({ length: depth }, (_, i) => `{% if v${i} %}`).join('\n');
  const close = Array.from({ length: depth }, () => '{% endif %}').join('\n');
  return `services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n${open}\n    restart: "no"\n${close}\n`;
}

function time(label: string, path: string, text: string): void {
  const t0 = performance.now();
  const audit = auditFile({ path, text });
  const t1 = performance.now();
  fixFile({ path, text });
  const t2 = performance.now();
  console.log(
    `${label.padEnd(28)} ${(text.length / 1024 / 1024).toFixed(1).padStart(5)} MiB  audit ${((t1 - t0) / 1000).toFixed(2).padStart(6)} s  audit+fix ${((t2 - t1) / 1000).toFixed(2).padStart(6)} s  (${audit.findings.length} findings)`,
  );
}

const max = Number(process.argv[2] ?? 300_000);
for (const n of [10_000, 30_000, 100_000, 300_000].filter((x) => x <= max)) time(`compose, ${n} lines`, 'docker-compose.yml', composeOf(n));
for (const n of [1_000, 5_000, 10_000, 50_000].filter((x) => x <= max)) time(`template, ${n} nested ifs`, 'compose.yml.j2', nestedIfs(n));
