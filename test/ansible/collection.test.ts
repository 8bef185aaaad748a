/**
 * The Ansible collection (ansible/, upkeep.ops) with Debian's ansible-core and ansible-lint:
 * ansible-lint's production profile and ansible-playbook --syntax-check pass; the rolling upgrade's
 * gate, run by ansible-playbook on upkeep's own preflight JSON (the json-contract goldens), names the
 * containers that would not come back and lets a host through whose only "risk" is a reboot (exit
 * 3); the audit role, run on the controller with bin/upkeep, fails the play with the findings of a
 * Jinja template; `ansible-galaxy collection build`, without a network, packages every file of
 * ansible/ (the roles, the playbook) into the tarball a team installs. Skipped (with the reason)
 * where ansible is not installed; a failure with UPKEEP_REQUIRE_ENGINE=1 (CI).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { AnsibleHome, ROOT, missingTool, recap, run } from './ansible-run.js';

let home: AnsibleHome;
let missing: string | null = null;
before(async () => {
  missing = await missingTool(['ansible-playbook', 'ansible-lint', 'ansible-galaxy']);
  home = new AnsibleHome();
});
after(() => home.dispose());

function skipOrFail(t: TestContext): boolean {
  if (missing === null) return false;
  const message = `ANSIBLE TEST NOT RUN: ${missing} is not installed (apt-get install ansible-core ansible-lint)`;
  if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(message);
  t.skip(message);
  return true;
}

test('ansible-lint passes with the production profile', async (t) => {
  if (skipOrFail(t)) return;
  const r = await run('ansible-lint', ['--profile', 'production', '--offline', '--nocolor', '-p'], { cwd: join(ROOT, 'ansible'), env: home.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Passed with production profile/);
});

test('ansible-playbook --syntax-check passes for the playbook and the roles by their collection names', async (t) => {
  if (skipOrFail(t)) return;
  const r = await home.playbook(['--syntax-check', '-i', 'localhost,', 'upkeep.ops.rolling_upgrade']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  writeFileSync(
    join(home.dir, 'site.yml'),
    ['- name: Agents', '  hosts: all', '  roles:', '    - upkeep.ops.agent', '    - upkeep.ops.audit', '    - upkeep.ops.upgrade', ''].join('\n'),
  );
  const roles = await home.playbook(['--syntax-check', '-i', 'localhost,', 'site.yml']);
  assert.equal(roles.code, 0, roles.stdout + roles.stderr);
});

/** Runs the upgrade role's gate on each preflight JSON (one play each, one ansible-playbook run); returns what each found not back. */
async function gates(cases: readonly { preflight: unknown; unknownBlocks: boolean }[]): Promise<string[][]> {
  const dir = join(home.dir, 'gate');
  mkdirSync(dir, { recursive: true });
  const plays = cases.map((c, i) => {
    writeFileSync(join(dir, `preflight-${i}.json`), JSON.stringify(c.preflight));
    return `- name: Gate ${i}
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    upkeep_preflight: { stdout: "{{ lookup('ansible.builtin.file', '${dir}/preflight-${i}.json') }}" }
    upkeep_gate_unknown_blocks: ${c.unknownBlocks}
  tasks:
    - name: The gate
      ansible.builtin.include_role: { name: upkeep.ops.upgrade, tasks_from: gate.yml }
    - name: Write it
      ansible.builtin.copy: { content: "{{ upkeep_not_back | to_json }}", dest: "${dir}/not-back-${i}.json", mode: "0600" }
`;
  });
  writeFileSync(join(dir, 'gate.yml'), plays.join('\n'));
  const r = await home.playbook(['-i', 'localhost,', join(dir, 'gate.yml')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return cases.map((_, i) => JSON.parse(readFileSync(join(dir, `not-back-${i}.json`), 'utf8')) as string[]);
}

test("the rolling upgrade's gate reads preflight's container verdict, not its exit code", async (t) => {
  if (skipOrFail(t)) return;
  const golden = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/json-contract/13-preflight-after-stop.json'), 'utf8')) as {
    exitCode: number;
    json: { containers: { name: string; runningAtEnd: string }[]; alreadyDown: unknown[]; reboot: { needed: boolean } };
  };
  // Exit 3 and verdict at-risk only because a reboot is needed: every container comes back, so the gate lets it through.
  const rebootOnly = { ...golden.json, containers: golden.json.containers.map((c) => ({ ...c, runningAtEnd: 'yes' })), alreadyDown: [] };
  assert.equal(rebootOnly.reboot.needed, true);
  assert.equal(golden.exitCode, 3);
  // "cannot say" blocks by default, as upkeep upgrade's gate does; upkeep_gate_unknown_blocks: false lets it through.
  const unknown = { ...rebootOnly, containers: [{ ...rebootOnly.containers[0]!, runningAtEnd: 'unknown' }] };
  const [notBack, passes, unknownBlocks, unknownPasses] = await gates([
    { preflight: golden.json, unknownBlocks: true },
    { preflight: rebootOnly, unknownBlocks: true },
    { preflight: unknown, unknownBlocks: true },
    { preflight: unknown, unknownBlocks: false },
  ]);
  assert.deepEqual(
    notBack!.map((l) => l.split(' ')[0]),
    ['v-pipe-scout_redis_1', 'v-pipe-scout_streamlit_1', 'v-pipe-scout_worker_1', 'scratch-debug'],
  );
  assert.match(notBack![0]!, /restart policy/i);
  assert.match(notBack![3]!, /already down: manually stopped/);
  assert.deepEqual(passes, []);
  assert.equal(unknownBlocks!.length, 1);
  assert.deepEqual(unknownPasses, []);
});

test('the audit role fails the play with the findings of a template on the controller, and passes when asked not to fail', async (t) => {
  if (skipOrFail(t)) return;
  const repo = join(home.dir, 'infra/roles/scout/templates');
  mkdirSync(repo, { recursive: true });
  writeFileSync(
    join(repo, 'docker-compose.yml.j2'),
    'services:\n  redis:\n    image: "redis:{{ redis_version }}"\n    restart: "no"\n  web:\n    image: nginx\n    restart: always\n',
  );
  const playbook = (fail: boolean) => `- name: Audit
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Audit
      ansible.builtin.include_role:
        name: upkeep.ops.audit
      vars:
        upkeep_audit_controller_bin: ${join(ROOT, 'bin/upkeep')}
        upkeep_audit_controller_scan: [${join(home.dir, 'infra/roles')}]
        upkeep_audit_hosts: false
        upkeep_audit_fail: ${fail}
`;
  writeFileSync(join(home.dir, 'audit-fail.yml'), playbook(true));
  writeFileSync(join(home.dir, 'audit-report.yml'), playbook(false));
  const failed = await home.playbook(['-i', 'localhost,', 'audit-fail.yml']);
  assert.equal(failed.code, 2, failed.stdout + failed.stderr);
  assert.match(failed.stdout, /upkeep audit found 1 problems: controller: .*docker-compose\.yml\.j2:4:\d+ \w+ restart-policy/);
  assert.equal(recap(failed.stdout).localhost?.failed, 1);
  const reported = await home.playbook(['-i', 'localhost,', 'audit-report.yml']);
  assert.equal(reported.code, 0, reported.stdout + reported.stderr);
  assert.match(reported.stdout, /docker-compose\.yml\.j2:4/);
});

/** What ansible-galaxy leaves out of a build: galaxy.yml (made MANIFEST.json), its `build_ignore` (*.retry), earlier builds. */
const galaxyIgnores = (f: string): boolean => f === 'galaxy.yml' || f.endsWith('.retry') || /^upkeep-ops-.*\.tar\.gz$/.test(f);

/** Every file under `dir`, relative to it, with `/` between the parts. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test('ansible-galaxy collection build, without a network, packages every file of ansible/: the roles and the playbook', async (t) => {
  if (skipOrFail(t)) return;
  const before = filesUnder(join(ROOT, 'ansible'));
  const out = join(home.dir, 'build');
  // A network namespace of its own (no interface up, not even loopback) proves the build is offline.
  const offline = (await run('unshare', ['--net', '--map-root-user', 'true'])).code === 0;
  if (!offline) t.diagnostic('unshare --net is not available here: the build ran with the network of the test');
  const build = ['ansible-galaxy', 'collection', 'build', join(ROOT, 'ansible'), '--output-path', out];
  const r = offline ? await run('unshare', ['--net', '--map-root-user', ...build], { env: home.env }) : await run(build[0]!, build.slice(1), { env: home.env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(readdirSync(out), ['upkeep-ops-1.0.0.tar.gz'], 'one tarball, named from galaxy.yml');
  const tarball = join(out, 'upkeep-ops-1.0.0.tar.gz');
  const listed = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter((l) => l !== '' && !l.endsWith('/'));
  assert.deepEqual(
    listed.sort(),
    ['FILES.json', 'MANIFEST.json', ...before.filter((f) => !galaxyIgnores(f))].sort(),
    'the tarball holds ansible/ file for file, galaxy.yml turned into MANIFEST.json and FILES.json',
  );
  for (const f of ['roles/agent/tasks/main.yml', 'roles/audit/tasks/main.yml', 'roles/upgrade/tasks/main.yml', 'playbooks/rolling_upgrade.yml'])
    assert.ok(listed.includes(f), f);
  const manifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'MANIFEST.json'])).stdout) as { collection_info: { namespace: string; name: string } };
  assert.deepEqual([manifest.collection_info.namespace, manifest.collection_info.name], ['upkeep', 'ops']);
  assert.deepEqual(filesUnder(join(ROOT, 'ansible')), before, 'the build wrote nothing into ansible/');
});
