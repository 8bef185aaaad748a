import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseComposeFile, type ComposeService } from '../../../src/core/audit/compose-document.js';

function servicesOf(text: string, path = 'docker-compose.yml'): ComposeService[] {
  const file = parseComposeFile({ path, text });
  return file.documents.flatMap((d) => d.services);
}

function only(text: string, path?: string): ComposeService {
  const [service, ...rest] = servicesOf(text, path);
  assert.ok(service !== undefined && rest.length === 0, 'expected exactly one service');
  return service;
}

describe('parseComposeFile', () => {
  it('reads restart values with their range and quoting style; a bare no is the string "no"', () => {
    const text = 'services:\n  a:\n    restart: no\n  b:\n    restart: "no"\n  c:\n    restart: \'on-failure:3\'\n';
    const [a, b, c] = servicesOf(text);
    assert.deepEqual(
      [a, b, c].map((s) => {
        const r = s?.restart[0];
        return [s?.name, r?.value, r?.style, text.slice(r?.valueRange[0], r?.valueRange[1]), text.slice(r?.keyRange[0], r?.keyRange[1])];
      }),
      [
        ['a', 'no', 'plain', 'no', 'restart'],
        ['b', 'no', 'double', '"no"', 'restart'],
        ['c', 'on-failure:3', 'single', "'on-failure:3'", 'restart'],
      ],
    );
  });

  it('gives each service its key range, path and body', () => {
    const text = 'services:\n  web:\n    image: x\n  api: {image: y}\n';
    const [web, api] = servicesOf(text);
    assert.equal(text.slice(web?.keyRange[0], web?.keyRange[1]), 'web');
    assert.deepEqual(web?.path, ['services', 'web']);
    assert.equal(web?.flow, false);
    assert.equal(text.slice(api?.bodyRange[0], api?.bodyRange[1]), '{image: y}');
    assert.equal(api?.flow, true);
  });

  it('reads labels in map and list form, and x-upkeep', () => {
    const map = only('services:\n  a:\n    labels:\n      upkeep.role: job\n      other: "1"\n');
    assert.deepEqual(map.labels, { 'upkeep.role': 'job', other: '1' });
    assert.deepEqual(map.role, { value: 'job', declaredBy: 'label upkeep.role' });
    const list = only('services:\n  a:\n    labels:\n      - upkeep.role=service\n      - flag\n');
    assert.deepEqual(list.labels, { 'upkeep.role': 'service', flag: '' });
    assert.deepEqual(only('services:\n  a:\n    x-upkeep: {role: job}\n').role, { value: 'job', declaredBy: 'x-upkeep.role' });
    assert.equal(only('services:\n  a:\n    image: x\n').role, null);
  });

  it('reads healthcheck, ports, depends_on in both forms, profiles, extends', () => {
    const s = only(
      'services:\n  a:\n    healthcheck: {test: [CMD, "true"]}\n    ports: ["80:80", 443]\n    depends_on:\n      db: {condition: service_healthy}\n      cache:\n    profiles: [debug, tools]\n    extends: {service: base, file: common.yml}\n',
    );
    assert.equal(s.healthcheck?.disabled, false);
    assert.equal(s.publishedPorts, 2);
    assert.deepEqual(
      s.dependsOn.map((d) => [d.service, d.condition]),
      [
        ['db', 'service_healthy'],
        ['cache', 'service_started'],
      ],
    );
    assert.deepEqual(s.profiles, ['debug', 'tools']);
    assert.deepEqual({ ...s.extends, range: undefined }, { service: 'base', file: 'common.yml', range: undefined });
    const list = only('services:\n  a:\n    depends_on: [db]\n    extends: base\n    healthcheck: {disable: true}\n');
    assert.deepEqual(
      list.dependsOn.map((d) => [d.service, d.condition]),
      [['db', 'service_started']],
    );
    assert.equal(list.extends?.service, 'base');
    assert.equal(list.extends?.file, null);
    assert.equal(list.healthcheck?.disabled, true);
  });

  it('reads deploy.restart_policy', () => {
    const text = 'services:\n  a:\n    deploy:\n      restart_policy:\n        condition: on-failure\n        max_attempts: 4\n';
    const d = only(text).deployRestartPolicy;
    assert.equal(d?.condition, 'on-failure');
    assert.equal(d?.maxAttempts, 4);
    assert.equal(text.slice(d?.conditionRange?.[0], d?.conditionRange?.[1]), 'on-failure');
  });

  it('follows << merges to the anchor, and knows every place a merged value lands', () => {
    const text = 'x-d: &d\n  restart: unless-stopped\nservices:\n  a:\n    <<: *d\n  b:\n    <<: [*d]\n';
    const [a, b] = servicesOf(text);
    const r = a?.restart[0];
    assert.equal(r?.value, 'unless-stopped');
    assert.equal(r?.inheritedFrom?.anchor, 'd');
    assert.deepEqual(r?.occurrences, [
      ['x-d', 'restart'],
      ['services', 'a', 'restart'],
      ['services', 'b', 'restart'],
    ]);
    assert.deepEqual(b?.restart[0]?.valueRange, r?.valueRange);
  });

  it("prefers a service's own key over a merged one, and the first merged map over later ones", () => {
    const text =
      'x-1: &one {restart: always}\nx-2: &two {restart: "no", image: i}\nservices:\n  a:\n    <<: [*one, *two]\n  b:\n    restart: on-failure\n    <<: *two\n';
    const [a, b] = servicesOf(text);
    assert.deepEqual([a?.restart[0]?.value, a?.restart[0]?.inheritedFrom?.anchor], ['always', 'one']);
    assert.deepEqual([b?.restart[0]?.value, b?.restart[0]?.inheritedFrom], ['on-failure', null]);
  });

  it('models an aliased service as sharing its anchor, with no place for a new key', () => {
    const [web, copy] = servicesOf('services:\n  web: &w\n    image: x\n  copy: *w\n');
    assert.equal(copy?.aliasOf?.anchor, 'w');
    assert.deepEqual(copy?.insertion, { possible: false, reason: 'the service is an alias of &w, shared with whatever else uses that anchor' });
    assert.equal(web?.insertion.possible, false);
  });

  it("places a new key after the service key line, at the keys' indentation, with that line's ending", () => {
    const text = 'services:\r\n  web:  # front\r\n      image: x\r\n';
    const at = only(text).insertion;
    assert.deepEqual(at, { possible: true, offset: text.indexOf('      image'), prefix: '      ', suffix: '\r\n' });
  });

  it('places a new key after the last entry of a flow map', () => {
    const text = 'services:\n  web: {image: x, ports: [80] }\n  empty: {}\n';
    const [web, empty] = servicesOf(text);
    assert.deepEqual(web?.insertion, { possible: true, offset: text.indexOf(' }'), prefix: ', ', suffix: '' });
    assert.deepEqual(empty?.insertion, { possible: true, offset: text.indexOf('{}') + 1, prefix: '', suffix: '' });
  });

  it('marks Jinja-produced values, Jinja names and values in branches', () => {
    const text = 'services:\n  {{ name }}:\n    restart: {{ p }}\n  web:\n{% if x %}\n    restart: always\n{% endif %}\n';
    const [templated, web] = servicesOf(text, 'compose.yaml.j2');
    assert.deepEqual([templated?.name, templated?.nameIsJinja, templated?.restart[0]?.jinja], ['{{ name }}', true, true]);
    assert.equal(web?.restart[0]?.jinja, false);
    assert.equal(web?.restart[0]?.conditional?.kind, 'if');
  });

  it('ignores files that are not compose files, and documents that do not parse', () => {
    assert.deepEqual(parseComposeFile({ path: 'site.yml', text: '- hosts: all\n' }).documents, []);
    assert.deepEqual(parseComposeFile({ path: 'x.yml', text: 'services: [a, b]\n' }).documents, []);
    const broken = parseComposeFile({ path: 'x.yml', text: 'services:\n  a:\n   b: 1\n  c: [\n' });
    assert.deepEqual(broken.documents, []);
    assert.ok(broken.source.problems.length > 0);
  });

  it('keeps the index of each compose document among all documents', () => {
    const file = parseComposeFile({ path: 'x.yml', text: 'a: 1\n---\nservices:\n  web: {image: x}\n---\nservices:\n  api: {image: y}\n' });
    assert.deepEqual(
      file.documents.map((d) => [d.index, d.services.map((s) => s.name)]),
      [
        [1, ['web']],
        [2, ['api']],
      ],
    );
  });

  it('reads a file with a byte-order mark', () => {
    const text = '\uFEFFservices:\n  web:\n    restart: always\n';
    const s = only(text);
    assert.equal(s.restart[0]?.value, 'always');
    assert.equal(text.slice(s.keyRange[0], s.keyRange[1]), 'web');
  });
});
