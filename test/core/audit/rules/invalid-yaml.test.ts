import { runRuleTests } from '../../../helpers/rule-tester.js';
import { invalidYamlRule } from '../../../../src/core/audit/rules/invalid-yaml.js';

runRuleTests(invalidYamlRule, {
  valid: [
    'services:\n  web:\n    image: x\n',
    { name: 'an empty file', code: '' },
    { name: 'only comments', code: '# nothing yet\n' },
    {
      name: 'a template whose Jinja masks to valid YAML',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n{% for s in svcs %}\n  {{ s }}:\n    image: {{ s }}:latest\n    labels: {a: {{ x }}}\n{% endfor %}\n',
    },
    {
      name: 'a key twice in the branches of a template',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n  web:\n{% if a %}\n    restart: always\n{% else %}\n    restart: "no"\n{% endif %}\n',
    },
  ],
  invalid: [
    {
      name: 'bad indentation, with line and column',
      code: 'services:\n  web:\n    image: x\n   restart: "no"\n',
      errors: [{ line: 4, column: 1, severity: 'error', message: /^All mapping items must start at the same column \(BAD_INDENT\)$/ }],
      output: null,
    },
    {
      name: 'a key twice in plain YAML (compose refuses it too)',
      code: 'services:\n  web:\n    restart: always\n    restart: "no"\n',
      errors: [{ line: 4, column: 5, message: /\(DUPLICATE_KEY\)$/ }],
      output: null,
    },
    {
      name: 'an unclosed flow sequence',
      code: 'services:\n  web:\n    ports: [80\n',
      errors: [{ line: 4, column: 1, message: /\(BAD_INDENT\)$/ }],
      output: null,
    },
    {
      name: 'a byte-order mark is not counted as a column',
      code: '\uFEFFa: b: c\n',
      errors: [{ line: 1, column: 4, message: /\(BLOCK_AS_IMPLICIT_KEY\)$/ }],
      output: null,
    },
    {
      name: 'Jinja in a file not named as a template is not masked',
      code: 'services:\n{% if web %}\n  web:\n    image: x\n{% endif %}\n',
      errors: [
        { line: 2, column: 1 },
        { line: 2, column: 2 },
        { line: 5, column: 1 },
        { line: 5, column: 2 },
      ],
      output: null,
    },
    {
      name: 'a template that is not YAML even once masked says so',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n  web:\n    image: x\n   {{ extra }}: 1\n',
      errors: [{ line: 4, column: 1, message: /; this is a template, read with its Jinja masked/ }],
      output: null,
    },
  ],
});
