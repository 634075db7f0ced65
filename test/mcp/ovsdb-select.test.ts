/**
 * The pure half of ovn_db_list's fast read (mcp/ovsdb-select.ts): ovn-nbctl's value syntax, the relations,
 * which conditions run in the server (an OVSDB where clause) and which on the rows, and what is left to
 * ovn-nbctl. (test/mcp/ovsdb-fast-read.test.ts compares the answers with ovn-nbctl's on a real DB.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compareAtom,
  conditionHolds,
  evaluateRelop,
  minRecordBytes,
  parseCondition,
  parseDatum,
  parseSchema,
  planSelect,
  tableOfReply,
} from '../../mcp/ovsdb-select.ts';

const nb = parseSchema(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8'))!;
const NAT = nb.tables.get('NAT')!;
const LRP = nb.tables.get('Logical_Router_Policy')!;
const LSP = nb.tables.get('Logical_Switch_Port')!;

describe('values (ovsdb_datum_from_string)', () => {
  const str = { type: 'string' as const };
  const int = { type: 'integer' as const };
  it('sets with and without brackets, quoted and bare, sorted', () => {
    expect(parseDatum('[b,a]', str)).toEqual({ keys: ['a', 'b'] });
    expect(parseDatum('"b", a', str)).toEqual({ keys: ['a', 'b'] });
    expect(parseDatum('[]', str)).toEqual({ keys: [] });
    expect(parseDatum('10', int)).toEqual({ keys: [10] });
    expect(parseDatum('{k=v,a="b c"}', str, str)).toEqual({ keys: ['a', 'k'], values: ['b c', 'v'] });
    expect(parseDatum('{}', str, str)).toEqual({ keys: [], values: [] });
  });
  it('not modelled or refused by ovn-nbctl: undefined', () => {
    for (const s of ['', '[a', 'a]', '[a] x', '"a', 'a"b"', '[a,a]', 'x\\y', '{k}'])
      expect(parseDatum(s, str, s.startsWith('{') ? str : undefined), s).toBeUndefined();
    expect(parseDatum('1.5', int)).toBeUndefined();
    expect(parseDatum('"1"', int)).toBeUndefined();
    expect(parseDatum('yes', { type: 'boolean' })).toBeUndefined();
    expect(parseDatum('foo', { type: 'string', enum: ['snat', 'dnat'] })).toBeUndefined();
    expect(parseDatum('70000', { type: 'integer', maxInteger: 65535 })).toBeUndefined();
    expect(parseDatum('00000000-0000-0000-0000-000000000000', { type: 'uuid' })).toBeUndefined();
  });
});

describe('relations (ovsdb_datum_compare_3way, includes_all)', () => {
  const d = (...keys: (string | number)[]) => ({ keys });
  it('arithmetic operators compare sizes first, then elements', () => {
    expect(evaluateRelop(d('z'), d('a', 'b'), '<')).toBe(true);
    expect(evaluateRelop(d('a', 'c'), d('a', 'b'), '>')).toBe(true);
    expect(evaluateRelop(d(), d('a'), '<')).toBe(true);
    expect(evaluateRelop(d(5), d(5), '<=')).toBe(true);
    expect(evaluateRelop(d(5), d(6), '!=')).toBe(true);
  });
  it('set operators are subset relations', () => {
    expect(evaluateRelop(d('a'), d('a', 'b'), '{<}')).toBe(true);
    expect(evaluateRelop(d('a', 'b'), d('a', 'b'), '{<}')).toBe(false);
    expect(evaluateRelop(d('a', 'b'), d('a', 'b'), '{<=}')).toBe(true);
    expect(evaluateRelop(d('a', 'c'), d('a', 'b'), '{<=}')).toBe(false);
    expect(evaluateRelop(d('a', 'b'), d('b'), '{>}')).toBe(true);
    expect(evaluateRelop(d(), d(), '{>=}')).toBe(true);
  });
  it('maps compare keys and values', () => {
    const m = (o: Record<string, string>) => ({
      keys: Object.keys(o).sort(),
      values: Object.keys(o)
        .sort()
        .map((k) => o[k]),
    });
    expect(evaluateRelop(m({ a: '1' }), m({ a: '1', b: '2' }), '{<=}')).toBe(true);
    expect(evaluateRelop(m({ a: '2' }), m({ a: '1', b: '2' }), '{<=}')).toBe(false);
    expect(evaluateRelop(m({ a: '1' }), m({ a: '2' }), '<')).toBe(true);
  });
  it('strings compare as UTF-8 bytes (strcmp), not UTF-16 units', () => {
    expect(compareAtom('\uffff', '\u{10000}')).toBeLessThan(0);
    expect('\uffff' < '\u{10000}').toBe(false);
  });
});

describe('conditions: server-side where, row-side test, or ovn-nbctl', () => {
  it('pushes down what an OVSDB where clause selects exactly', () => {
    expect(parseCondition('type=snat', NAT)?.where).toEqual(['type', '==', 'snat']);
    expect(parseCondition('type!=snat', NAT)?.where).toEqual(['type', '!=', 'snat']);
    expect(parseCondition('logical_port=[]', NAT)?.where).toEqual(['logical_port', '==', ['set', []]]);
    expect(parseCondition('external_ids:"k8s.ovn.org/owner-type"=EgressIP', NAT)?.where).toEqual([
      'external_ids',
      'includes',
      ['map', [['k8s.ovn.org/owner-type', 'EgressIP']]],
    ]);
    expect(parseCondition('options{>=}{stateless="false"}', NAT)?.where).toEqual([
      'options',
      'includes',
      ['map', [['stateless', 'false']]],
    ]);
    expect(parseCondition('priority>=100', LRP)?.where).toEqual(['priority', '>=', 100]);
  });
  it('evaluates the rest on the rows', () => {
    for (const [c, t] of [
      ['tag<4', LSP],
      ['external_ids:"k8s.ovn.org/name"!=eip-1', NAT],
      ['options{<=}{stateless="false"}', NAT],
      ['type<snat', NAT],
    ] as const) {
      const p = parseCondition(c, t);
      expect(p, c).toBeDefined();
      expect(p!.where, c).toBeUndefined();
    }
    const k = parseCondition('external_ids:"k8s.ovn.org/name"{!=}eip-1', NAT)!;
    expect(conditionHolds(k, ['map', []])).toBe(true); // a missing key compares as the empty set
    const a = parseCondition('external_ids:"k8s.ovn.org/name"!=eip-1', NAT)!;
    expect(conditionHolds(a, ['map', []])).toBe(false); // arithmetic operators need the key
    expect(conditionHolds(a, ['map', [['k8s.ovn.org/name', 'eip-2']]])).toBe(true);
  });
  it('leaves to ovn-nbctl what it does not model', () => {
    for (const c of ['nope=1', 'type=foo', 'type=[]', 'type:k=v', 'gateway_port=[]', 'logical_port=[a,b]', 'external_ids:k=[]'])
      expect(parseCondition(c, NAT), c).toBeUndefined();
    expect(planSelect(nb, { table: 'nat' })).toBeUndefined();
    expect(planSelect(nb, { table: 'NAT', columns: ['logical_i'] })).toBeUndefined();
    expect(planSelect(nb, { table: 'NAT', columns: ['type', 'type'] })).toBeUndefined();
  });
});

describe('the select and its reply', () => {
  it('asks for _uuid, the asked columns and the columns of row-side conditions; the answer has the asked ones only', () => {
    const p = planSelect(nb, {
      table: 'NAT',
      conditions: ['type=snat', 'external_ids:"k8s.ovn.org/name"!=eip-1'],
      columns: ['logical_ip'],
    })!;
    expect(p.headings).toEqual(['_uuid', 'logical_ip']);
    expect(p.selectColumns).toEqual(['_uuid', 'logical_ip', 'external_ids']);
    expect(JSON.parse(p.transaction)).toEqual([
      'OVN_Northbound',
      { op: 'select', table: 'NAT', where: [['type', '==', 'snat']], columns: ['_uuid', 'logical_ip', 'external_ids'] },
    ]);
    const reply = JSON.stringify([
      {
        rows: [
          { _uuid: ['uuid', 'b'], logical_ip: '10.0.0.2', external_ids: ['map', [['k8s.ovn.org/name', 'eip-2']]] },
          { _uuid: ['uuid', 'a'], logical_ip: '10.0.0.1', external_ids: ['map', [['k8s.ovn.org/name', 'eip-1']]] },
          { _uuid: ['uuid', 'c'], logical_ip: '10.0.0.3', external_ids: ['map', [['k8s.ovn.org/name', 'eip-3']]] },
        ],
      },
    ]);
    expect(tableOfReply(p, reply)).toEqual({
      headings: ['_uuid', 'logical_ip'],
      data: [
        [['uuid', 'b'], '10.0.0.2'],
        [['uuid', 'c'], '10.0.0.3'],
      ],
    });
    expect(() => tableOfReply(p, '[{"error":"unknown column","details":"x"}]')).toThrow(/unknown column/);
    expect(() => tableOfReply(p, 'ovsdb-client: failed')).toThrow(/not JSON/);
  });
  it('minRecordBytes is a lower bound of a rendered record', () => {
    expect(minRecordBytes(['_uuid', 'a'], 'text')).toBeLessThanOrEqual(
      '_uuid : 00000000-0000-0000-0000-000000000000\na     : 1\n\n'.length,
    );
    expect(minRecordBytes(['_uuid', 'a'], 'json')).toBeLessThanOrEqual('{"_uuid":"00000000-0000-0000-0000-000000000000","a":1}\n'.length);
  });
});
