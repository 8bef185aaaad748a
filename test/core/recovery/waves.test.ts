import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderInWaves } from '../../../src/core/recovery/waves.js';

function order(graph: Record<string, string[]>) {
  return orderInWaves(Object.keys(graph), (n) => graph[n] ?? []);
}

describe('orderInWaves', () => {
  it('puts independent nodes in one wave and dependants after their dependencies', () => {
    const o = order({ app: ['db', 'cache'], db: [], cache: [], web: ['app'], lone: [] });
    assert.deepEqual(o.waves, [['cache', 'db', 'lone'], ['app'], ['web']]);
    assert.deepEqual(o.cycles, []);
    assert.equal(o.waveOf.get('web'), 2);
  });

  it('places a diamond by its longest path', () => {
    const o = order({ a: [], b: ['a'], c: ['a', 'b'], d: ['b', 'c'] });
    assert.deepEqual(o.waves, [['a'], ['b'], ['c'], ['d']]);
  });

  it('ignores dependencies on unknown nodes', () => {
    const o = order({ a: ['ghost'], b: ['a'] });
    assert.deepEqual(o.waves, [['a'], ['b']]);
  });

  it('reports a cycle, starts its members together, and still orders what depends on it', () => {
    const o = order({ a: ['b'], b: ['c'], c: ['a'], base: [], d: ['a'], self: ['self'] });
    assert.deepEqual(o.cycles, [['a', 'b', 'c'], ['self']]);
    assert.deepEqual(o.waves, [['a', 'b', 'base', 'c', 'self'], ['d']]);
    assert.equal(o.componentOf.get('a'), o.componentOf.get('c'));
    assert.notEqual(o.componentOf.get('a'), o.componentOf.get('d'));
  });

  it('handles a chain of 20000 without recursion limits', () => {
    const graph: Record<string, string[]> = {};
    for (let i = 0; i < 20000; i++) graph[`n${String(i).padStart(5, '0')}`] = i === 0 ? [] : [`n${String(i - 1).padStart(5, '0')}`];
    const o = order(graph);
    assert.equal(o.waves.length, 20000);
    assert.deepEqual(o.waves[19999], ['n19999']);
  });
});
