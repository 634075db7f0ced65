/**
 * The argv guard for ovn_db_list's fast read (`ovsdb-client query|get-schema`): it allows exactly what the tool
 * builds (one canonical-JSON `select` on the NB/SB DB of an allow-listed socket) and refuses every write
 * operation, smuggled operation or member, other command, option, server or database, and malformed or
 * oversized JSON. Then every attack payload of the shared table, sent as ovn_db_list arguments, ends as a
 * validation error, an ovn-nbctl argv (checked by the older guard), or a select the guard allows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_QUERY_CHARS, OVSDB_SERVERS, readOnlyArgvProblem } from '../../mcp/argv-guard.ts';
import { MAX_PAGE_ROWS, pagedTransaction, parseSchema, planSelect, rowsTransaction } from '../../mcp/ovsdb-select.ts';
import { ALL_TOOLS } from '../../mcp/tools/index.ts';
import { ATTACKS } from './attacks.ts';

const NB = 'unix:/var/run/ovn/ovnnb_db.sock';
const SB = 'unix:/var/run/ovn/ovnsb_db.sock';
const q = (txn: unknown, server = NB) => ['ovsdb-client', 'query', server, typeof txn === 'string' ? txn : JSON.stringify(txn)];
const select = { op: 'select', table: 'NAT', where: [['type', '==', 'snat']], columns: ['_uuid', 'logical_ip'] };
const nbSchema = parseSchema(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8'))!;
const sbSchema = parseSchema(readFileSync('/usr/share/ovn/ovn-sb.ovsschema', 'utf8'))!;

describe('ovsdb-client guard: what the tool builds passes', () => {
  it('get-schema and one select on each allow-listed server with its own database', () => {
    for (const [server, db] of Object.entries(OVSDB_SERVERS)) {
      expect(readOnlyArgvProblem(['ovsdb-client', 'get-schema', server, db])).toBeUndefined();
      const table = db === 'OVN_Northbound' ? 'NAT' : 'Chassis';
      expect(readOnlyArgvProblem(q([db, { op: 'select', table, where: [], columns: ['_uuid'] }], server))).toBeUndefined();
    }
  });

  it('planSelect transactions for many condition forms pass', () => {
    const forms: [string, string[], string[]?][] = [
      ['NAT', []],
      ['NAT', ['type=snat', 'external_ids:"k8s.ovn.org/owner-type"=EgressIP'], ['logical_ip']],
      ['NAT', ['logical_port!=[]', 'options{>=}{stateless="false"}']],
      ['Logical_Router_Policy', ['priority>=100', 'priority<1004']],
      ['Address_Set', ['addresses{<=}["10.0.0.1","10.0.0.2"]']],
    ];
    for (const [table, conditions, columns] of forms) {
      const p = planSelect(nbSchema, { table, conditions, columns });
      expect(p, `${table} ${conditions.join(' ')}`).toBeDefined();
      expect(readOnlyArgvProblem(q(p!.transaction))).toBeUndefined();
    }
    // paged reads: the _uuid select plus MAX_PAGE_ROWS row selects, on the widest tables of both schemas
    const uuids = Array.from({ length: MAX_PAGE_ROWS }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
    for (const [schema, server] of [
      [nbSchema, NB],
      [sbSchema, SB],
    ] as const) {
      const widest = [...schema.tables.entries()].sort((x, y) => y[1].columns.size - x[1].columns.size)[0][0];
      const p = planSelect(schema, { table: widest, conditions: [] })!;
      for (const txn of [pagedTransaction(p, uuids), rowsTransaction(p, uuids)])
        expect(readOnlyArgvProblem(q(txn, server)), widest).toBeUndefined();
    }
    const sb = planSelect(sbSchema, { table: 'Chassis', conditions: ['name=ch1'] })!;
    expect(readOnlyArgvProblem(q(sb.transaction, SB))).toBeUndefined();
  });
});

describe('ovsdb-client guard: refused', () => {
  const refused = (argv: unknown[], why: RegExp) => {
    const p = readOnlyArgvProblem(argv as string[]);
    expect(p, JSON.stringify(argv).slice(0, 200)).toBeDefined();
    expect(p).toMatch(why);
  };

  it('every write or non-select operation (RFC 7047 §5.2) in place of the select', () => {
    const ops: Record<string, unknown>[] = [
      { op: 'insert', table: 'NAT', row: { type: 'snat' } },
      { op: 'update', table: 'NAT', where: [], row: { type: 'dnat' } },
      { op: 'mutate', table: 'NAT', where: [], mutations: [['external_ids', 'insert', ['map', [['a', 'b']]]]] },
      { op: 'delete', table: 'NAT', where: [] },
      { op: 'wait', table: 'NAT', where: [], columns: ['type'], until: '==', rows: [], timeout: 100000 },
      { op: 'commit', durable: true },
      { op: 'abort' },
      { op: 'comment', comment: 'x' },
      { op: 'assert', lock: 'ovn_northd' },
      { op: 'SELECT', table: 'NAT', where: [] },
      { op: ['select'], table: 'NAT', where: [] },
      { table: 'NAT', where: [] },
    ];
    for (const op of ops) refused(q(['OVN_Northbound', op]), /only "select"|not allowed/);
  });

  it('smuggled operations and members', () => {
    // OVS's JSON parser and JSON.parse both keep the LAST duplicate member: {"op":"select","op":"delete"} is a delete
    refused(q('["OVN_Northbound",{"op":"select","table":"NAT","where":[],"op":"delete"}]'), /canonical/);
    refused(
      q('["OVN_Northbound",{"op":"select","table":"NAT","where":[]},{"op":"delete","table":"NAT","where":[]}]'),
      /operation 2: only "select"/,
    );
    refused(q(['OVN_Northbound', select, { op: 'comment', comment: 'x' }]), /operation 2: member "comment"/);
    refused(q(['OVN_Northbound', ...Array.from({ length: 66 }, () => select)]), /at most 65 operations/);
    for (const bad of [
      ['_uuid', '!=', ['uuid', '00000000-0000-0000-0000-000000000000']],
      ['_uuid', '==', 'x'],
      ['_uuid', '==', ['uuid', 'not-a-uuid']],
      ['_uuid', '==', ['named-uuid', 'row']],
      ['_uuid', 'includes', ['set', []]],
    ])
      refused(q(['OVN_Northbound', { ...select, where: [bad] }]), /_uuid only as/);
    refused(q(['OVN_Northbound', { ...select, row: { type: 'dnat' } }]), /member "row"/);
    refused(q(['OVN_Northbound', { ...select, mutations: [] }]), /member "mutations"/);
    refused(q(['OVN_Northbound', { ...select, 'uuid-name': 'x' }]), /member "uuid-name"/);
    refused(q(['OVN_Northbound', { ...select, until: '==' }]), /member "until"/);
    refused(q('["OVN_Northbound",{"op":"\\u0064elete","table":"NAT","where":[]}]'), /canonical/);
    refused(q('["OVN_Northbound", {"op":"select","table":"NAT","where":[]}]'), /canonical/);
    refused(q(['OVN_Northbound', { ...select, where: [['type', '==', ['named-uuid', 'row1']]] }]), /not an OVSDB atom/);
    refused(q(['OVN_Northbound', { ...select, where: [['type', 'excludes', 'x']] }]), /function "excludes"/);
    refused(q(['OVN_Northbound', { ...select, where: [['type', 'delete', 'x']] }]), /function "delete"/);
    refused(q(['OVN_Northbound', { ...select, where: [['type;x', '==', 'x']] }]), /bad condition column/);
    refused(q(['OVN_Northbound', { ...select, where: [{ op: 'delete' }] }]), /\[column, function, value\]/);
    refused(q(['OVN_Northbound', { ...select, where: [['type', '==', { op: 'delete' }]] }]), /not an OVSDB atom/);
    refused(q(['OVN_Northbound', { ...select, where: [['type', '==', ['set', [{ op: 'delete' }]]]] }]), /not an OVSDB atom/);
    refused(q(['OVN_Northbound', { ...select, columns: ['_version', 'x'] }]), /bad column name/);
    refused(q(['OVN_Northbound', { ...select, table: 'NAT;x' }]), /bad table/);
    refused(q(['OVN_Northbound', { ...select, where: 'type==snat' }]), /where must be an array/);
  });

  it('other databases, servers and paths', () => {
    refused(q(['OVN_Southbound', select]), /serves OVN_Northbound only/);
    refused(q(['Open_vSwitch', { ...select, table: 'Bridge' }]), /serves OVN_Northbound only/);
    refused(q(['_Server', { ...select, table: 'Database' }]), /serves OVN_Northbound only/);
    for (const server of [
      'unix:/var/run/openvswitch/db.sock',
      'tcp:10.0.0.1:6641',
      'ssl:10.0.0.1:6641',
      'punix:/var/run/ovn/ovnnb_db.sock',
      'unix:/var/run/ovn/../ovn/ovnnb_db.sock',
      'unix:/tmp/ovnnb_db.sock',
      'unix:/var/run/ovn/ovnnb_db.sock ',
      'UNIX:/var/run/ovn/ovnnb_db.sock',
      'constructor',
      '__proto__',
      'toString',
    ])
      refused(q(['OVN_Northbound', select], server), /not allow-listed/);
    refused(['ovsdb-client', 'get-schema', NB, 'OVN_Southbound'], /serves OVN_Northbound only/);
    refused(['ovsdb-client', 'get-schema', SB, 'Open_vSwitch'], /serves OVN_Southbound only/);
  });

  it('other commands and every option', () => {
    for (const cmd of [
      'transact',
      'dump',
      'monitor',
      'monitor-cond',
      'monitor-cond-since',
      'lock',
      'steal',
      'unlock',
      'backup',
      'restore',
      'convert',
      'needs-conversion',
      'list-dbs',
      'list-tables',
      'wait',
      'get-schema-version',
      'query ',
    ])
      refused(['ovsdb-client', cmd, NB, JSON.stringify(['OVN_Northbound', select])], /only query and get-schema/);
    for (const opt of [
      '--timeout=1',
      '-v',
      '--detach',
      '--pidfile=/tmp/x',
      '--private-key=/etc/k.pem',
      '--db-change-aware',
      '-f',
      '--format=json',
      '--',
      '-',
    ])
      for (const argv of [
        ['ovsdb-client', opt, 'query', NB, JSON.stringify(['OVN_Northbound', select])],
        ['ovsdb-client', 'query', NB, JSON.stringify(['OVN_Northbound', select]), opt],
      ])
        refused(argv, /no options|exactly a server/);
    refused(['ovsdb-client'], /only query and get-schema/);
    refused(['ovsdb-client', 'query', NB], /exactly a server/);
    refused(['ovsdb-client', 'query'], /exactly a server/);
    refused(['ovsdb-client', 'get-schema', NB, 'OVN_Northbound', 'extra'], /exactly a server/);
    refused(['ovsdb-client', 'query', NB, JSON.stringify(['OVN_Northbound', select]), 'extra'], /exactly a server/);
    refused(['ovsdb-client', 'query', NB, 42], /not a string/);
  });

  it('invalid, oversized and non-ASCII transactions', () => {
    refused(q('not json'), /not JSON/);
    refused(q('["OVN_Northbound",{"op":"select"'), /not JSON/);
    refused(q('{}'), /\[database, select\.\.\.\]/);
    refused(q('[]'), /\[database, select\.\.\.\]/);
    refused(q('["OVN_Northbound"]'), /\[database, select\.\.\.\]/);
    refused(q('"OVN_Northbound"'), /\[database, select\.\.\.\]/);
    const big = { ...select, where: [['logical_ip', '==', 'x'.repeat(MAX_QUERY_CHARS)]] };
    refused(q(['OVN_Northbound', big]), /longer than/);
    refused(q(['OVN_Northbound', { ...select, where: Array.from({ length: 40 }, () => ['type', '==', 'snat']) }]), /at most 32/);
    refused(
      q(['OVN_Northbound', { ...select, where: [['addresses', 'includes', ['set', Array.from({ length: 300 }, (_, i) => `a${i}`)]]] }]),
      /bad set/,
    );
    refused(q(['OVN_Northbound', { ...select, where: [['type', '==', 'snat\u0000']] }]), /string value has non-printable/);
    refused(
      q(['OVN_Northbound', { ...select, where: [['_version', '==', ['uuid', '00000000-0000-0000-0000-000000000000']]] }]),
      /bad condition column/,
    );
    refused(q(['OVN_Northbound', { ...select, where: [['type', '==', 'sn\u00e4t']] }]), /non-printable/);
    refused(q('["OVN_Northbound",{"op":"select","table":"NAT","where":[["type","==",1e999]]}]'), /canonical|non-finite/);
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = ['set', [deep]];
    refused(q(['OVN_Northbound', { ...select, where: [['type', '==', deep]] }]), /not an OVSDB atom/);
  });
});

describe('ovn_db_list arguments from the attack table', () => {
  const tool = ALL_TOOLS.find((t) => t.name === 'ovn_db_list')!;
  const base = { node: 'ovn-worker', db: 'nb', table: 'NAT' };
  it('each payload as table, condition, column or record: rejected, or an argv the guard allows', () => {
    let selects = 0;
    let rejected = 0;
    for (const a of ATTACKS) {
      const text = typeof a.value === 'string' ? a.value : JSON.stringify(a.value);
      for (const args of [
        { ...base, table: a.value },
        { ...base, conditions: [a.value] },
        { ...base, conditions: [`external_ids:"k8s.ovn.org/name"=${text}`] },
        { ...base, conditions: [`type=${text}`] },
        { ...base, columns: [a.value] },
        { ...base, record: a.value },
      ]) {
        const parsed = tool.parse(args);
        if (!parsed.ok) {
          rejected++;
          continue;
        }
        // the fallback argv (ovn-nbctl) passes its guard or is refused by it (a value that reads like a write verb)
        try {
          tool.plan!(args);
        } catch (err) {
          expect((err as Error).name).toBe('ArgvRejected');
        }
        const p = planSelect(nbSchema, parsed.args as { table: string; conditions?: string[]; columns?: string[] });
        if (p) {
          selects++;
          expect(readOnlyArgvProblem(q(p.transaction)), `${a.category}/${a.name}`).toBeUndefined();
          expect(JSON.parse(p.transaction)[1].op).toBe('select');
        }
      }
    }
    // the table is exercised both ways
    expect(rejected).toBeGreaterThan(100);
    expect(selects).toBeGreaterThan(0);
  });
});
