import { describe, expect, it } from 'vitest';
import { jsonClone, jsonCopy, jsonEqual } from '../../sim/api/json-value.ts';
import { MemoryStore } from '../../sim/api/store.ts';

const viaText = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('jsonCopy / jsonClone: what a JSON round trip returns, without the text', () => {
  const odd = {
    s: 'x',
    n: 1.5,
    inf: Infinity,
    nan: NaN,
    t: true,
    nul: null,
    undef: undefined,
    fn: () => 1,
    date: new Date('2026-12-03T10:00:00Z'),
    arr: [1, undefined, () => 2, NaN, { a: undefined, b: [null] }],
    nested: { deep: { deeper: ['a', { k: 'v' }] } },
    10: 'integer keys come first',
  };

  it('gives the same value as JSON.parse(JSON.stringify(v)), key order included', () => {
    for (const f of [jsonClone, jsonCopy]) {
      const c = f(odd);
      expect(c).toEqual(viaText(odd));
      expect(JSON.stringify(c)).toBe(JSON.stringify(odd));
    }
  });

  it('keeps an own __proto__ key as a key (as JSON.parse does), not as the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const c = jsonClone(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('throws on a BigInt like JSON.stringify', () => {
    expect(() => jsonClone({ a: 1n })).toThrow(TypeError);
  });

  it('jsonClone copies every level; jsonCopy shares frozen subtrees and copies the rest', () => {
    const frozen = Object.freeze({ x: Object.freeze([1, 2]) });
    const v = { keep: frozen, own: { y: 1 } };
    const full = jsonClone(v);
    expect(full.keep).not.toBe(frozen);
    expect(Object.isFrozen(full.keep)).toBe(false);
    const shared = jsonCopy(v);
    expect(shared.keep).toBe(frozen);
    expect(shared.own).not.toBe(v.own);
    expect(shared).not.toBe(v);
  });
});

describe('jsonEqual', () => {
  it('is equality of the JSON texts up to key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual([undefined], [null])).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(jsonEqual({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
    expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });

  it('leaves the skipped top-level keys out', () => {
    const skip = new Set(['metadata', 'status']);
    expect(jsonEqual({ spec: 1, metadata: { a: 1 } }, { spec: 1, status: { b: 2 } }, skip)).toBe(true);
    expect(jsonEqual({ spec: 1 }, { spec: 2, status: {} }, skip)).toBe(false);
  });
});

describe('MemoryStore writes on the shared copies', () => {
  const PODS = { group: '', version: 'v1', resource: 'pods' };
  const setup = (): MemoryStore => {
    const s = new MemoryStore();
    s.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    s.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
    return s;
  };

  it('a status write keeps the spec object and serves the same JSON text as a full copy would', () => {
    const s = setup();
    const before = s.get(PODS, 'n', 'p');
    const after = s.mutate(PODS, 'n', 'p', (p) => void (p.status = { phase: 'Running', gone: undefined }), { subresource: 'status' });
    expect(after?.spec).toBe(before?.spec);
    expect(after?.metadata.resourceVersion).not.toBe(before?.metadata.resourceVersion);
    expect(Object.isFrozen(after?.status)).toBe(true);
    const e = s.getEntry(PODS, 'n', 'p');
    expect(JSON.parse(e?.json ?? '')).toEqual(viaText(after));
    expect(e?.json).not.toContain('gone');
  });

  it('a no-op write keeps the resourceVersion; a spec change bumps generation, a label change does not', () => {
    const s = setup();
    const rv = s.get(PODS, 'n', 'p')?.metadata.resourceVersion;
    expect(s.mutate(PODS, 'n', 'p', (p) => void (p.metadata.labels = undefined))?.metadata.resourceVersion).toBe(rv);
    const labelled = s.mutate(PODS, 'n', 'p', (p) => void (p.metadata.labels = { a: 'b' }));
    expect(labelled?.metadata.resourceVersion).not.toBe(rv);
    expect(labelled?.metadata.generation).toBe(1);
    const respec = s.mutate(PODS, 'n', 'p', (p) => void ((p.spec as { nodeName?: string }).nodeName = 'w'));
    expect(respec?.metadata.generation).toBe(2);
  });

  it('a mutate callback that puts a caller-owned object in does not get it frozen', () => {
    const s = setup();
    const mine = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] };
    s.mutate(PODS, 'n', 'p', (p) => void (p.status = mine), { subresource: 'status' });
    expect(Object.isFrozen(mine)).toBe(false);
    mine.phase = 'Running';
    expect((s.get(PODS, 'n', 'p')?.status as { phase: string }).phase).toBe('Pending');
  });
});
