/**
 * Where each node of a YAML document lands in the document's JavaScript value (`doc.toJS()`). One node
 * can land in several places: through aliases (`*base`) and merge keys (`<<: *base`). An edit of one
 * node changes every one of its places, so rules and the fixer use this to know what an edit means.
 *
 * Merge semantics follow the `yaml` package (and the YAML merge-key spec): keys written in the map win
 * over merged ones; among merged maps, the first that has a key wins.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node, YAMLMap } from 'yaml';

/** A path into a JavaScript value: object keys and array indexes. */
export type JsPath = readonly (string | number)[];

export interface NodeOccurrences {
  /** The paths of each node reached from the document root (aliases and merged maps included). */
  paths: Map<Node, JsPath[]>;
  /** False when the walk stopped early (too many nodes or aliases too deep): do not edit then. */
  complete: boolean;
}

const MAX_DEPTH = 200;

/** Walks `doc` from its root as `toJS()` would, recording where every node lands. */
export function nodeOccurrences(doc: Document, budget = 50_000): NodeOccurrences {
  const paths = new Map<Node, JsPath[]>();
  let visits = 0;
  let complete = true;

  const record = (node: Node, path: JsPath): void => {
    const list = paths.get(node);
    if (list === undefined) paths.set(node, [path]);
    else list.push(path);
  };

  const walk = (node: Node, path: JsPath, depth: number): void => {
    if (++visits > budget || depth > MAX_DEPTH) {
      complete = false;
      return;
    }
    record(node, path);
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target !== undefined) walk(target, path, depth + 1);
    } else if (isMap(node)) {
      for (const merged of mergeSources(node, doc)) record(merged, path);
      for (const [key, value] of effectiveEntries(node, doc, depth)) {
        if (value !== null) walk(value, [...path, key], depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (isNodeValue(item)) walk(item, [...path, i], depth + 1);
      });
    }
  };

  if (isNodeValue(doc.contents)) walk(doc.contents, [], 0);
  return { paths, complete };
}

/** The entries `toJS()` gives a map: its own pairs, then merged ones for keys it does not have. */
export function effectiveEntries(map: YAMLMap, doc: Document, depth = 0): Map<string, Node | null> {
  const out = new Map<string, Node | null>();
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) continue;
    const key = jsKey(pair.key);
    if (key !== null) out.set(key, isNodeValue(pair.value) ? pair.value : null);
  }
  if (depth > MAX_DEPTH) return out;
  for (const source of mergeSources(map, doc)) {
    for (const [key, value] of effectiveEntries(source, doc, depth + 1)) if (!out.has(key)) out.set(key, value);
  }
  return out;
}

/** The maps merged into `map` by its `<<` keys, in the order they take precedence. */
export function mergeSources(map: YAMLMap, doc: Document): YAMLMap[] {
  const out: YAMLMap[] = [];
  for (const pair of map.items) {
    if (!isMergeKey(pair.key) || !isNodeValue(pair.value)) continue;
    const value = resolveNode(pair.value, doc);
    const items = isSeq(value) ? value.items.map((i) => (isNodeValue(i) ? resolveNode(i, doc) : null)) : [value];
    for (const item of items) if (isMap(item)) out.push(item);
  }
  return out;
}

/** True for a `<<` merge key (plain, unquoted). */
export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

/** The JavaScript object key `toJS()` uses for a scalar map key, or null for a complex key. */
export function jsKey(key: unknown): string | null {
  if (!isScalar(key)) return null;
  return key.value === null || key.value === undefined ? '' : String(key.value);
}

/** Follows an alias to the node it names (once: anchors cannot name aliases). */
export function resolveNode(node: Node, doc: Document): Node | null {
  return isAlias(node) ? (node.resolve(doc) ?? null) : node;
}

function isNodeValue(value: unknown): value is Node {
  return isAlias(value) || isScalar(value) || isMap(value) || isSeq(value);
}
