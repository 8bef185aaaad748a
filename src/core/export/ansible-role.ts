/**
 * `upkeep export ansible`: a running compose project as an Ansible role (docs/ansible.md). Pure:
 * the compose files' text and the names and values of the project's `.env` come in, the role's
 * files come out.
 *
 * - Each compose file becomes `templates/NAME.j2`, rendering to exactly the original bytes: every
 *   `{{`, `{%` and `{#` in it is written as a Jinja expression that prints it (`{{ '{{' }}`), so
 *   Jinja leaves the file's own text alone; compose's `${VAR}` references stay, and compose
 *   interpolates them as before.
 * - Every variable the files reference becomes a role default `ROLE_var` and a line of the `.env`
 *   the role writes beside the files (mode 0600). A secret (see isSecret: by its name, or by a value
 *   that holds a URL's password or looks like a token) defaults to a vault variable
 *   `vault_ROLE_var` that the inventory must define: its value is never exported. Other variables
 *   default to the value the project's `.env` gives them, or to null (not written to the `.env`:
 *   compose's own default applies, or the variable comes from the environment) when the `.env`
 *   does not set them. defaults/main.yml is written 0600 all the same (the rule is a heuristic).
 * - Every value taken from the host (the `.env`'s values, the project's name and directory) is
 *   written tagged `!unsafe`: Ansible never templates it (`{{ lookup('pipe', ...) }}` in a `.env`
 *   would otherwise run on the controller, and `{{.Time}}` break the play).
 * - The tasks create the project directory, write the files, and run `docker compose up -d`,
 *   changed only when compose created, recreated or started something: a second run is changed=0.
 */
import { UpkeepError } from '../errors.js';
import { composeVariables, type VariableUse } from '../runbook/compose-variables.js';

export interface ExportInput {
  project: string;
  /** The role's name (a valid Ansible role name: lower case, digits, underscores). */
  role: string;
  /** The project's working directory (the role's default project directory). */
  workingDir: string;
  /** The compose files in their order (`-f`), by base name, with their text. */
  files: ReadonlyArray<{ name: string; text: string }>;
  /** The project's `.env` (NAME -> value), or null when it has none. */
  env: ReadonlyMap<string, string> | null;
  /** Written into the role's README and meta. */
  generatedAt: string;
}

export interface ExportedVariable {
  name: string;
  roleVar: string;
  secret: boolean;
  /** Where its default comes from. */
  source: 'vault' | 'env-file' | 'unset';
}

export interface ExportedRole {
  role: string;
  files: Array<{ path: string; content: string; mode: number }>;
  variables: ExportedVariable[];
  problems: string[];
}

const SECRET = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|PASS|PWD|CREDENTIAL|AUTH|DSN|WEBHOOK|PRIVATE|PW(?:$|_)/i;
/** A URL with a password: `scheme://user:password@` (the user may be empty). */
const URL_CREDENTIALS = /:\/\/[^\s/?#@:]*:[^\s/?#@]+@/;
/** A run of token characters: 20 or more of base64url, hex or base64 (but `/`: a path is no token). */
const TOKEN_RUN = /[A-Za-z0-9+=_-]{20,}/g;

/** A valid role name from a compose project name: lower case, [a-z0-9_], starting with a letter. */
export function roleNameFor(project: string): string {
  const name = project
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(name) ? name : `project_${name}`;
}

export function isSecretName(name: string): boolean {
  return SECRET.test(name);
}

/** A value that looks like a token: a run of 20+ token characters mixing upper case, lower case and digits. */
function looksLikeToken(value: string): boolean {
  for (const [run] of value.matchAll(TOKEN_RUN)) if (/[a-z]/.test(run) && /[A-Z]/.test(run) && /[0-9]/.test(run)) return true;
  return false;
}

/**
 * Whether a variable is exported as a vault variable rather than its value: by its name (it
 * contains PASSWORD, PASSWD, PASS, PWD, SECRET, TOKEN, KEY, CREDENTIAL, AUTH, DSN, WEBHOOK or
 * PRIVATE, or ends in PW), or by its value (a URL with a password, `scheme://user:pass@host`, or a
 * token: 20 or more characters of [A-Za-z0-9+=_-] mixing upper case, lower case and digits). A
 * heuristic: the exported role is for the user to review before committing it.
 */
export function isSecret(name: string, value: string | undefined): boolean {
  return isSecretName(name) || (value !== undefined && (URL_CREDENTIALS.test(value) || looksLikeToken(value)));
}

/** The text as a Jinja template that renders to the same text. */
export function escapeJinja(text: string): string {
  return text.replace(/\{[{%#]/g, (m) => `{{ '${m}' }}`);
}

/** A YAML double-quoted scalar (JSON strings are YAML; what YAML reads as a line break or refuses, escaped). */
function yamlString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value from the host, as a YAML string Ansible never templates. */
function yamlUnsafe(s: string): string {
  return `!unsafe ${yamlString(s)}`;
}

/** The values of a `.env` file: NAME=value, `export NAME=value`, quotes removed; comments and blank lines skipped. */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out.set(m[1]!, value);
  }
  return out;
}

export function buildAnsibleRole(input: ExportInput): ExportedRole {
  const role = input.role;
  const problems: string[] = [];
  // A compose file's name goes into the tasks, inside Jinja expressions: only plain names.
  const odd = input.files.find((f) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f.name));
  if (odd !== undefined) {
    throw new UpkeepError(
      `cannot export ${input.project}: the compose file name ${JSON.stringify(odd.name)} has characters other than letters, digits, ".", "_" and "-"`,
      {
        hint: 'rename the file (and bring the project up from it again), or write the role by hand',
      },
    );
  }
  const uses = new Map<string, VariableUse>();
  for (const f of input.files) {
    const v = composeVariables(f.text);
    if (!v.ok) problems.push(`${f.name}: ${v.why}`);
    else for (const u of v.variables) uses.set(u.name, u);
  }
  const variables: ExportedVariable[] = [...uses.keys()].sort().map((name) => {
    const secret = isSecret(name, input.env?.get(name));
    const roleVar = `${role}_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
    return { name, roleVar, secret, source: secret ? 'vault' : input.env?.has(name) ? 'env-file' : 'unset' };
  });

  const defaults = [
    '---',
    `# Role defaults of ${role}, exported by upkeep from the compose project ${yamlString(input.project)}.`,
    `${role}_project: ${yamlUnsafe(input.project)}`,
    `# Where the compose files and the .env are written on the host.`,
    `${role}_dir: ${yamlUnsafe(input.workingDir)}`,
    `# The compose command (docker-compose 1.x: [docker-compose]).`,
    `${role}_compose_command: [docker, compose]`,
    `# Environment of the compose command (e.g. DOCKER_HOST).`,
    `${role}_environment: {}`,
  ];
  if (variables.length > 0) defaults.push('# The variables the compose files reference, written to the .env (null: not written).');
  for (const v of variables) {
    if (v.secret)
      defaults.push(`# A secret: define vault_${v.roleVar} with ansible-vault (its value was not exported).`, `${v.roleVar}: "{{ vault_${v.roleVar} }}"`);
    else if (v.source === 'env-file') defaults.push(`${v.roleVar}: ${yamlUnsafe(input.env!.get(v.name)!)}`);
    else defaults.push(`# Not set in the project's .env: compose's default or the environment applied.`, `${v.roleVar}: null`);
  }

  const envTemplate = [
    '{# The .env of the compose project: one line per variable the compose files reference. #}',
    ...variables.map(
      (v) =>
        `{% if ${v.roleVar} is not none %}${v.name}={{ "'" ~ ${v.roleVar} ~ "'" if "'" not in (${v.roleVar} | string) else ${v.roleVar} | to_json }}\n{% endif %}`,
    ),
  ].join('\n');

  const fileTasks = input.files.map((f) =>
    [
      `- name: Write the compose file ${f.name}`,
      '  ansible.builtin.template:',
      `    src: ${f.name}.j2`,
      `    dest: "{{ ${role}_dir }}/${f.name}"`,
      '    mode: "0644"',
    ].join('\n'),
  );
  const composeArgs = input.files.map((f) => `'-f', ${role}_dir ~ '/${f.name}'`).join(', ');
  const tasks = [
    '---',
    `- name: Create the project directory`,
    '  ansible.builtin.file:',
    `    path: "{{ ${role}_dir }}"`,
    '    state: directory',
    '    mode: "0755"',
    '',
    ...fileTasks.flatMap((t) => [t, '']),
    ...(variables.length > 0
      ? [
          '- name: Write the .env (secrets from the vault)',
          '  ansible.builtin.template:',
          '    src: env.j2',
          `    dest: "{{ ${role}_dir }}/.env"`,
          '    mode: "0600"',
          '  diff: false',
          '',
        ]
      : []),
    '- name: Bring the project up',
    '  ansible.builtin.command:',
    `    argv: "{{ ${role}_compose_command + ['-p', ${role}_project, ${composeArgs}, 'up', '-d'] }}"`,
    `    chdir: "{{ ${role}_dir }}"`,
    `  environment: "{{ ${role}_environment }}"`,
    `  register: ${role}_up`,
    '  # compose names what it created, recreated or started; "up-to-date" / "Running" is no change.',
    `  changed_when: (${role}_up.stdout ~ ${role}_up.stderr) is search('Creat|Recreat|Start')`,
    '',
  ];

  const meta = [
    '---',
    'galaxy_info:',
    `  role_name: ${role}`,
    '  author: upkeep export ansible',
    `  description: The compose project ${yamlString(input.project)}, exported by upkeep`,
    '  license: MIT',
    '  min_ansible_version: "2.14"',
    '  platforms:',
    '    - name: Debian',
    '      versions:',
    '        - all',
    '  galaxy_tags:',
    '    - docker',
    'dependencies: []',
    '',
  ];

  const readme = [
    `# Role ${role}`,
    '',
    `The compose project \`${input.project}\` (from \`${input.workingDir}\`), exported by \`upkeep export ansible\` at ${input.generatedAt}.`,
    '',
    'Variables (defaults/main.yml):',
    '',
    ...(variables.length === 0
      ? ['- none: the compose files reference no variables']
      : variables.map(
          (v) =>
            `- \`${v.roleVar}\` (\`${v.name}\`): ${v.secret ? `a secret: define \`vault_${v.roleVar}\` with ansible-vault` : v.source === 'env-file' ? "from the project's .env" : 'not set in the .env'}`,
        )),
    '',
  ];

  return {
    role,
    variables,
    problems,
    files: [
      ...input.files.map((f) => ({ path: `templates/${f.name}.j2`, content: escapeJinja(f.text), mode: 0o644 })),
      ...(variables.length > 0 ? [{ path: 'templates/env.j2', content: `${envTemplate}\n`, mode: 0o644 }] : []),
      // 0600: values the secret rule missed stay private until the user has reviewed them.
      { path: 'defaults/main.yml', content: `${defaults.join('\n')}\n`, mode: 0o600 },
      { path: 'tasks/main.yml', content: tasks.join('\n'), mode: 0o644 },
      { path: 'meta/main.yml', content: meta.join('\n'), mode: 0o644 },
      { path: 'README.md', content: readme.join('\n'), mode: 0o644 },
    ],
  };
}
