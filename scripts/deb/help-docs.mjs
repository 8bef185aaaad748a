// The man page upkeep(1) and the bash completion, generated from the built program's --help texts
// (scripts/build-deb.mjs runs it against the bundle it packages), so they list exactly the commands
// and options that program has. readHelpTree walks `upkeep --help`, `upkeep CMD --help`,
// `upkeep CMD SUB --help`; renderManPage and renderBashCompletion are pure.

/**
 * @typedef {{ flags: string[], arg: boolean }} HelpOption
 * @typedef {{ path: string[], help: string, description: string, options: HelpOption[], children: HelpNode[] }} HelpNode
 */

/** The entries of one section ("Options:", "Commands:") of a commander help text: [term, text]. */
export function helpSection(help, title) {
  const lines = help.split('\n');
  const start = lines.indexOf(`${title}:`);
  if (start < 0) return [];
  const out = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || !line.startsWith(' ')) break;
    const m = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (m) out.push([m[1], m[2] ?? '']);
    else if (out.length > 0) out[out.length - 1][1] += ` ${line.trim()}`;
  }
  return out;
}

/** The description: the paragraph between the Usage line and the first section. */
function descriptionOf(help) {
  const lines = help.split('\n');
  const i = lines.findIndex((l) => l.startsWith('Usage:'));
  const para = [];
  for (const l of lines.slice(i + 1)) {
    if (/^\S.*:$/.test(l)) break;
    para.push(l);
  }
  return para.join('\n').trim();
}

function optionOf(term) {
  const flags = term
    .split(/[ ,]+/)
    .filter((w) => w.startsWith('-'))
    .map((w) => w.replace(/[[<].*$/, ''));
  return { flags, arg: /[<[]/.test(term) };
}

/**
 * Reads the command tree. `help(args)` returns the program's stdout for `args` (each ending in
 * --help); commander's own `help` command is left out.
 * @param {(args: string[]) => Promise<string>} help
 * @returns {Promise<HelpNode>}
 */
export async function readHelpTree(help, path = []) {
  const text = await help([...path, '--help']);
  const names = helpSection(text, 'Commands')
    .map(([term]) => term.split(' ')[0])
    .filter((n) => n !== 'help');
  const children = [];
  for (const name of names) children.push(await readHelpTree(help, [...path, name]));
  return {
    path,
    help: text.trimEnd(),
    description: descriptionOf(text),
    options: helpSection(text, 'Options').map(([term]) => optionOf(term)),
    children,
  };
}

/** Every node, depth first, the root first. */
export function allNodes(node) {
  return [node, ...node.children.flatMap(allNodes)];
}

/** Text for roff: backslashes, minus signs, and lines that would read as requests. */
export function roffEscape(text) {
  return text
    .split('\n')
    .map((l) =>
      l
        .replace(/\\/g, '\\e')
        .replace(/-/g, '\\-')
        .replace(/^([.'])/, '\\&$1'),
    )
    .join('\n');
}

/**
 * upkeep(1): the top-level description, then each command's whole --help text, then files,
 * environment and exit status.
 * @param {HelpNode} tree
 * @param {{ version: string, date: string }} meta date as YYYY-MM-DD
 */
export function renderManPage(tree, meta) {
  // The first sentence (commander wraps the description at 80 columns: join the lines first).
  const summary = tree.description.replace(/\s*\n\s*/g, ' ').split(/\.(\s|$)/)[0];
  const out = [
    `.TH UPKEEP 1 "${meta.date}" "upkeep ${meta.version}" "User Commands"`,
    '.\\" Generated from the --help texts of upkeep by scripts/deb/help-docs.mjs: do not edit.',
    '.SH NAME',
    `upkeep \\- ${roffEscape(summary.charAt(0).toLowerCase() + summary.slice(1))}`,
    '.SH SYNOPSIS',
    '.B upkeep',
    '.I command',
    '.RI [ options ]',
    '.br',
    '.B upkeep',
    '.I command',
    '.B \\-\\-help',
    '.SH DESCRIPTION',
    roffEscape(tree.description.replace(/\n/g, ' ')),
    '.PP',
    'The commands are listed below, each with its options as',
    '.B upkeep',
    '.I command',
    '.B \\-\\-help',
    'prints them.',
    '.SH COMMANDS',
  ];
  for (const node of allNodes(tree).slice(1)) {
    out.push(`.SS "upkeep ${node.path.join(' ')}"`, '.nf', roffEscape(node.help), '.fi');
  }
  out.push(
    '.SH OPTIONS',
    '.nf',
    roffEscape(
      helpSection(tree.help, 'Options')
        .map(([term, text]) => `  ${term.padEnd(26)}${text}`)
        .join('\n'),
    ),
    '.fi',
    '.SH ENVIRONMENT',
    '.TP',
    '.B DOCKER_HOST',
    'The Docker engine (unix:// or tcp://); without it, /var/run/docker.sock.',
    '.SH FILES',
    '.TP',
    '.I /etc/upkeep/upkeep.yml',
    "The agent's config (mode 0600). The agent starts only once it exists;",
    '.B upkeep config show\\-default',
    'prints the commented default.',
    '.TP',
    '.I /var/lib/upkeep/',
    'The state: snapshots, intent and the timeline (upkeep.db).',
    '.TP',
    '.I /lib/systemd/system/upkeep.service',
    "The agent's systemd unit.",
    '.TP',
    '.I /etc/apt/apt.conf.d/99upkeep',
    'The apt hook: preflight before dpkg runs, a maintenance window around it.',
    '.SH EXIT STATUS',
    '0 fine, 1 findings or risk, 2 could not run.',
  );
  return `${out.join('\n')}\n`;
}

/**
 * A bash completion for upkeep: command names at each level, then that command's options; after
 * an option that takes a value, file names.
 * @param {HelpNode} tree
 */
export function renderBashCompletion(tree) {
  const nodes = allNodes(tree);
  const withArg = [...new Set(nodes.flatMap((n) => n.options.filter((o) => o.arg).flatMap((o) => o.flags)))].sort();
  const commandPaths = nodes.slice(1).map((n) => n.path.join(' '));
  const quote = (s) => s.replace(/ /g, '\\ ');
  const cases = nodes
    .map((n) => {
      const words = [...n.children.map((c) => c.path.at(-1)), ...n.options.flatMap((o) => o.flags)].join(' ');
      return `\t${n.path.length === 0 ? '""' : `"${n.path.join(' ')}"`}) words="${words}" ;;`;
    })
    .join('\n');
  return `# bash completion for upkeep(1). Generated from its --help texts by scripts/deb/help-docs.mjs.
_upkeep() {
	local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path="" w i words
	case "$prev" in
	${withArg.join(' | ')})
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=\${COMP_WORDS[i]}
		case "$w" in
		${withArg.join(' | ')}) ((i++)) ;;
		-*) ;;
		*)
			case "\${path:+$path }$w" in
			${commandPaths.map(quote).join(' | ')}) path="\${path:+$path }$w" ;;
			esac
			;;
		esac
	done
	case "$path" in
${cases}
	*) words="" ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _upkeep upkeep
`;
}
