/**
 * Benchmark: `upkeep audit --scan DIR --json` over 500 compose files (5 services each, comments,
 * a mix of restart policies) with 300 live containers on a private engine. Measures the wall time
 * of the whole process (node start included) and its peak RSS (/usr/bin/time -f %M), 5 runs.
 * Target: under 2 s wall. Run: node --import tsx bench/audit-500.ts (as root; about 3 minutes to set up).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mapBounded } from '../src/adapters/docker/host-state.js';
import { PrivateEngine } from '../test/engine/private-engine.js';

const execFileP = promisify(execFile);
const FILES = 500;
const CONTAINERS = Number(process.env.CONTAINERS ?? 300);
const BIN = new URL('../bin/upkeep', import.meta.url).pathname;
const POLICIES = ['always', 'unless-stopped', 'no', '"no"', 'on-failure:3', null];

function composeFile(i: number): string {
  const services = Array.from({ length: 5 }, (_, s) => {
    const policy = POLICIES[(i + s) % POLICIES.length];
    return `  # service ${s} of project ${i}
  svc${s}:
    image: example/app-${s}:1.${i}
${policy === null ? '' : `    restart: ${policy}\n`}    ports: ["${10000 + s}:80"]   # published
    environment:
      - MODE=production
    depends_on: [${s === 0 ? '' : `svc${s - 1}`}]
`;
  });
  return `# project ${i}\nservices:\n${services.join('')}`;
}

const engine = await PrivateEngine.startOrSkip({ skip() {} } as never);
if (!engine) throw new Error('no private engine (run as root)');
const dir = mkdtempSync(join(tmpdir(), 'upk-bench-audit-'));
try {
  for (let i = 0; i < FILES; i++) {
    const d = join(dir, `project-${i}`);
    mkdirSync(d);
    writeFileSync(join(d, 'docker-compose.yml'), composeFile(i));
  }
  const t0 = performance.now();
  await mapBounded(
    Array.from({ length: CONTAINERS }, (_, i) => i),
    6,
    (i) =>
      engine.run(`live-${i}`, {
        flags: [
          '--restart',
          POLICIES[i % 3]!.replace(/"/g, ''),
          '--label',
          `com.docker.compose.project=project-${i}`,
          '--label',
          `com.docker.compose.service=svc${i % 5}`,
        ],
      }),
  );
  console.log(`setup: ${CONTAINERS} running containers in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  const walls: number[] = [];
  const rss: number[] = [];
  let findings = 0;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    const r = await execFileP('/usr/bin/time', ['-f', 'RSS_KB=%M', BIN, 'audit', '--scan', dir, '--json'], {
      env: { ...process.env, DOCKER_HOST: engine.dockerHost },
      maxBuffer: 256 << 20,
    }).catch((e: { stdout: string; stderr: string }) => e);
    walls.push(performance.now() - start);
    rss.push(Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0));
    const report = JSON.parse(r.stdout) as { files: unknown[]; summary: { errors: number; warnings: number }; live: { findings: unknown[] } };
    findings = report.summary.errors + report.summary.warnings;
    if (report.files.length !== FILES) throw new Error(`audited ${report.files.length} files, expected ${FILES}`);
    if (report.live.findings.length < CONTAINERS / 3) throw new Error('live containers not audited');
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`audit ${FILES} compose files + ${CONTAINERS} live containers (${findings} findings), 5 runs of the whole process`);
  console.log(`wall: median ${(median(walls) / 1000).toFixed(2)} s (runs: ${walls.map((w) => (w / 1000).toFixed(2)).join(', ')}); target under 2 s`);
  console.log(`peak RSS: median ${(median(rss) / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await engine.dispose();
}
