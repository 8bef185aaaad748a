import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeJinja } from '../../../src/core/export/ansible-role.js';
import { templateProduces } from '../../../src/core/audit/template-produces.js';

test('templateProduces: literal text in order, expressions for one line, blocks for anything', () => {
  const file = 'services:\n  redis:\n    image: "redis:7.2"\n    restart: always\n';
  assert.equal(templateProduces('services:\n  redis:\n    image: "redis:{{ redis_version }}"\n    restart: always\n', file), true);
  assert.equal(templateProduces('services:\n  redis:\n    image: "redis:{{ v }}"\n    restart: "no"\n', file), false);
  assert.equal(templateProduces('services:\n{% for s in services %}  {{ s }}:\n{% endfor %}', file), true);
  assert.equal(templateProduces('{# only a comment #}{{ x }}', file), false, 'no literal text: produces nothing');
  assert.equal(templateProduces('services:\n  web:\n', file), false);
  // upkeep export's escaped templates produce exactly their file, trailing newline or not.
  const jinjaish = 'services:\n  a:\n    labels: { note: "{{ not jinja }} {% raw %}" }\n';
  assert.equal(templateProduces(escapeJinja(jinjaish), jinjaish), true);
  assert.equal(templateProduces(escapeJinja(jinjaish), `${jinjaish}\n\n`), true);
  assert.equal(templateProduces(escapeJinja(jinjaish), jinjaish.replace('a:', 'b:')), false);
});
