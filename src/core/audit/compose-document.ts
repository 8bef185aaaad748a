/**
 * A compose file (or a masked Ansible template of one) as the audit rules see it: its services, with
 * the source range of everything a rule reports on or a fix edits.
 *
 * What is modelled, and how:
 * - A document is a compose document when its root map has a `services` map; other documents (and
 *   other files) are ignored quietly. A document with parse errors is not modelled: the
 *   `invalid-yaml` rule reports it, and nothing in it is fixed.
 * - Values are looked up as compose reads them: own keys first, then keys merged with `<<: *anchor`,
 *   through aliases. A value that is not written in the service itself records the anchor it comes
 *   from (`inheritedFrom`), and every place that value lands (`occurrences`).
 * - For templates, a value that Jinja produces (`restart: {{ policy }}`) is marked `jinja`, and a
 *   setting inside a `{% if %}`/`{% for %}` block that does not also hold the service's key is marked
 *   `conditional`: it holds in some renderings only.
 * - Where a new key would go (`insertion`): for a block map, one new line right after the service's
 *   key line, at the indentation of the service's keys, with that line's own line ending; for a flow
 *   map, `, key: value` right after its last entry. Insertion is refused (with the reason) when the
 *   service's map is shared through an anchor, or when the spot is inside Jinja.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node, Scalar, YAMLMap } from 'yaml';
import { blocksAround, jinjaAt, type JinjaBlock } from './jinja-mask.js';
import { effectiveEntries, isMergeKey, jsKey, mergeSources, nodeOccurrences, resolveNode, type JsPath, type NodeOccurrences } from './node-occurrences.js';
import type { SourceRange } from './source-range.js';
import { parseYamlSource, type SourceFile, type YamlSource } from './yaml-source.js';

export type QuoteStyle = 'plain' | 'double' | 'single' | 'block';

/** An anchor (`&name`) a value is reached through, by an alias or a `<<` merge. */
export interface AnchorSource {
  anchor: string;
  /** The anchored node's range. */
  range: SourceRange;
}

export interface RestartSetting {
  /** The value as compose reads it ("no", "always", "on-failure:3"), or null when it is empty or not a scalar. */
  value: string | null;
  /** The `restart` key, wherever it is written (possibly at an anchor). */
  keyRange: SourceRange;
  /** The value as written, quotes included: what a fix replaces. */
  valueRange: SourceRange;
  style: QuoteStyle;
  /** Jinja produces all or part of the value. */
  jinja: boolean;
  /** The innermost `{% if %}`/`{% for %}` block that holds this setting but not the service's key. */
  conditional: JinjaBlock | null;
  /** Set when the setting is not written in the service itself. */
  inheritedFrom: AnchorSource | null;
  /** Every place the value lands in the parsed document (several when shared through an anchor). */
  occurrences: JsPath[];
}

/** Where and how one more `key: value` entry can be added to a service. */
export type KeyInsertion = { possible: true; offset: number; prefix: string; suffix: string } | { possible: false; reason: string };

export interface ServiceDependency {
  service: string;
  /** `service_started` (also the list form's meaning), `service_healthy`, `service_completed_successfully`, ... */
  condition: string;
  range: SourceRange;
}

export interface DeployRestartPolicy {
  /** `restart_policy` key. */
  range: SourceRange;
  condition: string | null;
  conditionRange: SourceRange | null;
  maxAttempts: number | null;
}

export interface ComposeService {
  /** The name as written (for a Jinja-produced name, the Jinja source). */
  name: string;
  nameIsJinja: boolean;
  keyRange: SourceRange;
  /** The service's path in the parsed document: ['services', key]. */
  path: JsPath;
  /** The service's map (for an aliased service, the anchored map). */
  bodyRange: SourceRange;
  flow: boolean;
  /** Set when the whole service is an alias of an anchored map (`silo: *base`). */
  aliasOf: AnchorSource | null;
  /** Own `restart` settings (more than one only in templates with branches), else the inherited one. */
  restart: RestartSetting[];
  insertion: KeyInsertion;
  labels: Record<string, string>;
  /** `upkeep.role` from the labels or from `x-upkeep: {role: ...}`, with where it was found. */
  role: { value: string; declaredBy: 'label upkeep.role' | 'x-upkeep.role' } | null;
  healthcheck: { range: SourceRange; disabled: boolean } | null;
  /** Number of published ports (`ports` entries). */
  publishedPorts: number;
  dependsOn: ServiceDependency[];
  /** `command` (and `entrypoint`, before it) as one string, list items joined by spaces; null when neither is set. */
  command: string | null;
  profiles: string[];
  extends: { service: string; file: string | null; range: SourceRange } | null;
  deployRestartPolicy: DeployRestartPolicy | null;
}

export interface ComposeDocument {
  /** Index among all the file's YAML documents (`---`). */
  index: number;
  services: ComposeService[];
  /** False when alias resolution stopped early (alias bombs): rules then do not offer fixes. */
  occurrencesComplete: boolean;
}

export interface ComposeFile {
  source: YamlSource;
  /** The compose documents of the file; empty when it is not a compose file or did not parse. */
  documents: ComposeDocument[];
}

/** Parses and models a compose file; `template` defaults to "the path looks like a Jinja template". */
export function parseComposeFile(file: SourceFile, template?: boolean): ComposeFile {
  const source = parseYamlSource(file, template);
  const documents: ComposeDocument[] = [];
  source.documents.forEach((doc, index) => {
    if (doc.errors.length > 0) return;
    const services = servicesMap(doc);
    if (services === undefined) return;
    const occurrences = nodeOccurrences(doc);
    const model = new ServiceReader(source, doc, occurrences);
    documents.push({
      index,
      services: services === null ? [] : model.services(services),
      occurrencesComplete: occurrences.complete,
    });
  });
  return { source, documents };
}

/** The `services` map of a compose document; null for `services:` with no value; undefined when not compose. */
function servicesMap(doc: Document): YAMLMap | null | undefined {
  const root = doc.contents === null ? null : resolveNode(doc.contents as Node, doc);
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => !isMergeKey(p.key) && jsKey(p.key) === 'services');
  if (pair === undefined) return undefined;
  const value = pair.value === null || pair.value === undefined ? null : resolveNode(pair.value as Node, doc);
  if (value === null || (isScalar(value) && value.value === null)) return null;
  return isMap(value) ? value : undefined;
}

interface Entry {
  key: Scalar | null;
  value: Node | null;
  via: AnchorSource | null;
}

class ServiceReader {
  constructor(
    private readonly source: YamlSource,
    private readonly doc: Document,
    private readonly occurrences: NodeOccurrences,
  ) {}

  services(map: YAMLMap): ComposeService[] {
    const out: ComposeService[] = [];
    for (const pair of map.items) {
      const keyNode = pair.key;
      if (isMergeKey(keyNode) || !isScalar(keyNode) || keyNode.range == null) continue;
      const key = jsKey(keyNode);
      if (key === null || pair.value === null || pair.value === undefined) continue;
      const value = pair.value as Node;
      const body = resolveNode(value, this.doc);
      if (!isMap(body) || body.range == null) continue;
      out.push(this.service(keyNode, toRange(keyNode.range), key, value, body, toRange(body.range)));
    }
    return out;
  }

  private service(keyNode: Scalar, keyRange: SourceRange, key: string, value: Node, body: YAMLMap, bodyRange: SourceRange): ComposeService {
    const text = this.source.text;
    const nameIsJinja = this.source.jinja !== null && jinjaAt(this.source.jinja, keyRange) !== null;
    const aliasOf = isAlias(value) ? { anchor: value.source, range: bodyRange } : null;
    const lookup = (name: string): Entry | null => this.lookup(body, name);
    const labels = this.labels(lookup('labels'));
    return {
      name: nameIsJinja ? text.slice(keyRange[0], keyRange[1]) : key,
      nameIsJinja,
      keyRange,
      path: ['services', key],
      bodyRange,
      flow: body.flow === true,
      aliasOf,
      restart: this.restartSettings(body, keyRange, aliasOf),
      insertion: this.insertion(keyRange, body, aliasOf),
      labels,
      role: this.role(labels, lookup('x-upkeep')),
      healthcheck: this.healthcheck(lookup('healthcheck')),
      publishedPorts: this.publishedPorts(lookup('ports')),
      dependsOn: this.dependsOn(lookup('depends_on')),
      command: this.commandText(lookup('entrypoint'), lookup('command')),
      profiles: this.stringList(lookup('profiles')),
      extends: this.extendsOf(lookup('extends')),
      deployRestartPolicy: this.deployRestartPolicy(lookup('deploy')),
    };
  }

  /** All own entries named `name` (duplicates only happen in templates), else the first merged one. */
  private entries(map: YAMLMap, name: string, depth = 0): Entry[] {
    const own: Entry[] = [];
    for (const pair of map.items) {
      if (isMergeKey(pair.key) || jsKey(pair.key) !== name) continue;
      own.push(this.entry(isScalar(pair.key) ? pair.key : null, (pair.value as Node | null) ?? null));
    }
    if (own.length > 0 || depth > 50) return own;
    for (const merged of mergeSources(map, this.doc)) {
      const found = this.entries(merged, name, depth + 1)[0];
      if (found === undefined) continue;
      const via = found.via ?? (merged.anchor !== undefined && merged.range != null ? { anchor: merged.anchor, range: toRange(merged.range) } : null);
      return [{ ...found, via }];
    }
    return [];
  }

  /** An own entry; a value that is an alias (`restart: *policy`) is followed to its anchor. */
  private entry(key: Scalar | null, value: Node | null): Entry {
    if (value === null || !isAlias(value)) return { key, value, via: null };
    const target = value.resolve(this.doc) ?? null;
    const range = target?.range;
    return { key, value: target, via: range == null ? null : { anchor: value.source, range: toRange(range) } };
  }

  private lookup(map: YAMLMap, name: string): Entry | null {
    const all = this.entries(map, name);
    return all[all.length - 1] ?? null;
  }

  private restartSettings(body: YAMLMap, serviceKey: SourceRange, aliasOf: AnchorSource | null): RestartSetting[] {
    const jinja = this.source.jinja;
    const out: RestartSetting[] = [];
    for (const e of this.entries(body, 'restart')) {
      if (e.key === null || e.key.range == null) continue;
      const keyRange = toRange(e.key.range);
      const scalar = e.value !== null && isScalar(e.value) ? e.value : null;
      const valueRange: SourceRange = e.value?.range != null ? [e.value.range[0], e.value.range[1]] : [keyRange[1], keyRange[1]];
      const outerBlocks = jinja === null ? [] : blocksAround(jinja, serviceKey[0]);
      const innerBlocks = jinja === null ? [] : blocksAround(jinja, keyRange[0]).filter((b) => !outerBlocks.includes(b));
      const rawValue = scalar === null || scalar.value === null || scalar.value === undefined ? null : String(scalar.value);
      out.push({
        value: rawValue === '' ? null : rawValue,
        keyRange,
        valueRange,
        style: quoteStyle(scalar),
        jinja: jinja !== null && jinjaAt(jinja, valueRange) !== null,
        conditional: innerBlocks[innerBlocks.length - 1] ?? null,
        inheritedFrom: e.via ?? aliasOf,
        occurrences: scalar === null ? [] : (this.occurrences.paths.get(scalar) ?? []),
      });
    }
    return out;
  }

  private insertion(serviceKey: SourceRange, body: YAMLMap, aliasOf: AnchorSource | null): KeyInsertion {
    if (aliasOf !== null) {
      return { possible: false, reason: `the service is an alias of &${aliasOf.anchor}, shared with whatever else uses that anchor` };
    }
    if ((this.occurrences.paths.get(body)?.length ?? 0) > 1) {
      return { possible: false, reason: `its map is shared through the anchor &${body.anchor ?? '?'}: a key added there changes every service that uses it` };
    }
    const text = this.source.parseText;
    let offset: number;
    let prefix: string;
    let suffix: string;
    if (body.flow === true) {
      const last = body.items[body.items.length - 1];
      if (last === undefined) {
        offset = (body.range as [number, number, number])[0] + 1;
        prefix = '';
      } else {
        const keyEnd = (last.key as Node | null)?.range?.[1] ?? -1;
        const valueEnd = (last.value as Node | null)?.range?.[1] ?? -1;
        offset = Math.max(keyEnd, valueEnd);
        prefix = ', ';
      }
      suffix = '';
    } else {
      const first = body.items[0]?.key as Node | null | undefined;
      const keyStart = first?.range?.[0];
      const serviceKeyEnd = serviceKey[1];
      if (keyStart === undefined) return { possible: false, reason: 'the service has no keys to align with' };
      const newline = text.indexOf('\n', serviceKeyEnd);
      const indent = text.slice(text.lastIndexOf('\n', keyStart - 1) + 1, keyStart);
      if (newline === -1 || newline >= keyStart || !/^ *$/.test(indent)) {
        return { possible: false, reason: "the service's keys do not start on a line of their own" };
      }
      offset = newline + 1;
      prefix = indent;
      suffix = text[newline - 1] === '\r' ? '\r\n' : '\n';
    }
    const jinja = this.source.jinja;
    if (offset < 0) return { possible: false, reason: "the end of the service's map could not be located" };
    if (jinja !== null) {
      if (jinjaAt(jinja, [offset, offset]) !== null) return { possible: false, reason: 'the place for a new key is inside Jinja' };
      const around = blocksAround(jinja, offset);
      const aroundKey = blocksAround(jinja, serviceKey[0]);
      if (around.length !== aroundKey.length || around.some((b, i) => b !== aroundKey[i])) {
        return { possible: false, reason: 'the place for a new key is inside a Jinja {% if %} or {% for %} block' };
      }
    }
    return { possible: true, offset, prefix, suffix };
  }

  private labels(entry: Entry | null): Record<string, string> {
    const out: Record<string, string> = {};
    const value = entry?.value ?? null;
    if (isMap(value)) {
      for (const [k, v] of effectiveEntries(value, this.doc)) out[k] = scalarText(v === null ? null : resolveNode(v, this.doc)) ?? '';
    } else if (isSeq(value)) {
      for (const item of value.items) {
        const s = scalarText(isScalar(item) ? item : null);
        if (s === null) continue;
        const eq = s.indexOf('=');
        out[eq === -1 ? s : s.slice(0, eq)] = eq === -1 ? '' : s.slice(eq + 1);
      }
    }
    return out;
  }

  private commandText(...entries: Array<Entry | null>): string | null {
    const parts: string[] = [];
    for (const entry of entries) {
      const value = entry?.value ?? null;
      if (isSeq(value)) for (const item of value.items) parts.push(scalarText(isScalar(item) ? item : null) ?? '');
      else {
        const s = scalarText(value);
        if (s !== null) parts.push(s);
      }
    }
    return parts.length === 0 ? null : parts.join(' ');
  }

  private role(labels: Record<string, string>, xUpkeep: Entry | null): ComposeService['role'] {
    const fromLabel = labels['upkeep.role'];
    if (fromLabel !== undefined && fromLabel !== '') return { value: fromLabel.trim(), declaredBy: 'label upkeep.role' };
    const x = xUpkeep?.value ?? null;
    if (!isMap(x)) return null;
    const role = effectiveEntries(x, this.doc).get('role');
    const text = scalarText(role === undefined || role === null ? null : resolveNode(role, this.doc));
    return text === null || text === '' ? null : { value: text.trim(), declaredBy: 'x-upkeep.role' };
  }

  private healthcheck(entry: Entry | null): ComposeService['healthcheck'] {
    const value = entry?.value ?? null;
    if (entry?.key?.range == null || !isMap(value)) return null;
    const fields = effectiveEntries(value, this.doc);
    const disable = fields.get('disable');
    const test = fields.get('test');
    const testNode = test === undefined || test === null ? null : resolveNode(test, this.doc);
    const first = isSeq(testNode) ? testNode.items[0] : testNode;
    const disabled = (disable != null && isScalar(disable) && disable.value === true) || scalarText(isScalar(first) ? first : null) === 'NONE';
    return { range: toRange(entry.key.range), disabled };
  }

  private publishedPorts(entry: Entry | null): number {
    const value = entry?.value ?? null;
    return isSeq(value) ? value.items.length : 0;
  }

  private dependsOn(entry: Entry | null): ServiceDependency[] {
    const value = entry?.value ?? null;
    const out: ServiceDependency[] = [];
    if (isSeq(value)) {
      for (const item of value.items) {
        const name = scalarText(isScalar(item) ? item : null);
        if (name !== null && isScalar(item) && item.range != null) {
          out.push({ service: name, condition: 'service_started', range: toRange(item.range) });
        }
      }
    } else if (isMap(value)) {
      for (const pair of value.items) {
        const name = jsKey(pair.key);
        if (name === null || isMergeKey(pair.key) || !isScalar(pair.key) || pair.key.range == null) continue;
        const spec = pair.value === null || pair.value === undefined ? null : resolveNode(pair.value as Node, this.doc);
        const condition = isMap(spec) ? effectiveEntries(spec, this.doc).get('condition') : undefined;
        const conditionText = condition == null ? null : scalarText(resolveNode(condition, this.doc));
        out.push({ service: name, condition: conditionText ?? 'service_started', range: toRange(pair.key.range) });
      }
    }
    return out;
  }

  private stringList(entry: Entry | null): string[] {
    const value = entry?.value ?? null;
    if (!isSeq(value)) return [];
    return value.items.map((i) => scalarText(isScalar(i) ? i : null)).filter((s): s is string => s !== null);
  }

  private extendsOf(entry: Entry | null): ComposeService['extends'] {
    const value = entry?.value ?? null;
    if (entry?.key?.range == null || value === null) return null;
    const range = toRange(entry.key.range);
    if (isScalar(value)) {
      const service = scalarText(value);
      return service === null ? null : { service, file: null, range };
    }
    if (!isMap(value)) return null;
    const fields = effectiveEntries(value, this.doc);
    const service = fields.get('service');
    const file = fields.get('file');
    const serviceName = service == null ? null : scalarText(resolveNode(service, this.doc));
    if (serviceName === null) return null;
    return { service: serviceName, file: file == null ? null : scalarText(resolveNode(file, this.doc)), range };
  }

  private deployRestartPolicy(deploy: Entry | null): DeployRestartPolicy | null {
    const value = deploy?.value ?? null;
    if (!isMap(value)) return null;
    const policy = this.lookup(value, 'restart_policy');
    if (policy?.key?.range == null || !isMap(policy.value)) return null;
    const condition = this.lookup(policy.value, 'condition');
    const conditionNode = condition?.value ?? null;
    const maxAttempts = this.lookup(policy.value, 'max_attempts')?.value ?? null;
    const attempts = isScalar(maxAttempts) && typeof maxAttempts.value === 'number' ? maxAttempts.value : null;
    return {
      range: toRange(policy.key.range),
      condition: isScalar(conditionNode) ? scalarText(conditionNode) : null,
      conditionRange: conditionNode?.range == null ? null : toRange(conditionNode.range),
      maxAttempts: attempts,
    };
  }
}

function quoteStyle(scalar: Scalar | null): QuoteStyle {
  switch (scalar?.type) {
    case 'QUOTE_DOUBLE':
      return 'double';
    case 'QUOTE_SINGLE':
      return 'single';
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return 'block';
    default:
      return 'plain';
  }
}

function scalarText(node: Node | null): string | null {
  if (!isScalar(node) || node.value === null || node.value === undefined || typeof node.value === 'symbol') return null;
  return String(node.value);
}

function toRange(range: readonly [number, number, number] | readonly number[]): SourceRange {
  return [range[0] ?? 0, range[1] ?? 0];
}
