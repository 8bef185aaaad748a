/**
 * `upkeep export ansible PROJECT --output DIR`: a running compose project as an Ansible role
 * (docs/ansible.md): its compose files as templates, the variables they reference as role
 * defaults (secrets as vault variables, never their values), tasks that deploy and bring it up.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { readHostState } from '../../adapters/docker/host-state.js';
import { projectFileReader } from '../../adapters/files/project-files.js';
import { writeRoleFiles } from '../../adapters/files/role-writer.js';
import { exportAnsibleRole } from '../../app/export-ansible.js';
import { EXIT, UsageError } from '../../core/errors.js';
import { withEngine } from '../engine.js';
import { printJson, type Io } from '../io.js';

interface ExportOptions {
  output?: string;
  role?: string;
  force?: boolean;
  json?: boolean;
}

export function registerExport(program: Command, io: Io, setExit: (code: number) => void): void {
  const exp = program.command('export').description('Export what runs here for other tools: a compose project as an Ansible role');
  exp
    .command('ansible')
    .description('Write a running compose project as an Ansible role: templates, defaults (secrets as vault variables), tasks')
    .argument('<project>', 'the compose project (its com.docker.compose.project label)')
    .requiredOption('--output <dir>', 'the roles directory: the role is written to DIR/ROLE')
    .option('--role <name>', 'the role name (default: the project name in lower case, [a-z0-9_])')
    .option('--force', 'write into DIR/ROLE even when it is not empty (its files are replaced)')
    .option('--json', 'print what was written as JSON for scripts')
    .addHelpText(
      'after',
      `
Reads the project's compose files named by its containers' labels (only inside its working
directory) and its .env; never the containers' environment. Variables whose names contain PASSWORD,
SECRET, TOKEN, KEY (or PASS, PWD, AUTH, CREDENTIAL) become vault variables (vault_ROLE_var), their
values are not exported. The tasks run docker compose up -d (changed only when compose creates,
recreates or starts something). Exit codes: 0 written, 2 could not run. See docs/ansible.md.`,
    )
    .action(async (project: string, opts: ExportOptions) => {
      if (opts.role !== undefined && !/^[a-z][a-z0-9_]*$/.test(opts.role))
        throw new UsageError(`--role ${JSON.stringify(opts.role)}: a role name is [a-z][a-z0-9_]*`);
      const state = await withEngine(io, (engine) => readHostState(engine));
      const result = await exportAnsibleRole({ containers: state.containers, files: projectFileReader(), now: new Date() }, project, opts.role);
      const dir = join(resolve(opts.output!), result.role);
      const written = await writeRoleFiles(dir, result.files, opts.force === true);
      if (opts.json) {
        printJson(io, {
          project: result.project,
          role: result.role,
          dir,
          workingDir: result.workingDir,
          composeFiles: result.composeFiles,
          envFile: result.envFile,
          variables: result.variables,
          files: written,
          problems: result.problems,
        });
      } else {
        io.stdout.write(`Role ${result.role} written to ${dir} (compose project ${result.project}, ${result.composeFiles.length} compose files).\n`);
        for (const v of result.variables)
          io.stdout.write(
            `  ${v.roleVar} (${v.name}): ${v.secret ? `secret: define vault_${v.roleVar} with ansible-vault` : v.source === 'env-file' ? 'from .env' : 'not in .env (null)'}\n`,
          );
        for (const p of result.problems) io.stdout.write(`  note: ${p}\n`);
      }
      setExit(EXIT.ok);
    });
}
