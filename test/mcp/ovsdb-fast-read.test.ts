/**
 * ovn_db_list's fast read (one ovsdb-client select) against ovn-nbctl on the same DB: a bundle (the offline
 * target) holding a real NB and SB DB file, served by a local ovsdb-server (mcp/bundle-target.ts). Every call
 * runs on both paths (NETHARNESS_MCP_OVSDB_READ=nbctl is the old one) and must give the same records, the same
 * count and the same paging; the forms the fast read does not model must fall back to ovn-nbctl (same text).
 * Also: ovsdb-client query rolls back even a write the guard would refuse (the server-side half of read-only).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleTarget } from '../../mcp/bundle-target.ts';
import type { Manifest } from '../../mcp/bundle-format.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import { ALL_TOOLS } from '../../mcp/tools/index.ts';

const tool = ALL_TOOLS.find((t) => t.name === 'ovn_db_list')!;
const FAST = /read as one ovsdb-client select/;

async function withServer(file: string, dir: string, fill: (ctl: (...a: string[]) => string) => void, bin: string) {
  const sock = join(dir, `${bin}.sock`);
  const p = spawn('ovsdb-server', [`--remote=punix:${sock}`, `--unixctl=${join(dir, `${bin}.ctl`)}`, '--no-chdir', file], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
  fill((...a) => execFileSync(bin, [`--db=unix:${sock}`, ...a], { encoding: 'utf8' }));
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
  rmSync(sock, { force: true });
}

function fillNb(nb: (...a: string[]) => string): void {
  const cmds: string[][] = [
    ['lr-add', 'GR_w0'],
    ['lr-add', 'ovn_cluster_router'],
    ['ls-add', 'w0'],
  ];
  for (let i = 0; i < 90; i++) {
    cmds.push(['lr-nat-add', 'GR_w0', i % 10 === 9 ? 'dnat_and_snat' : 'snat', `172.18.0.${30 + (i % 3)}`, `10.128.1.${i + 2}`]);
  }
  for (let i = 0; i < 12; i++)
    cmds.push([
      'lr-policy-add',
      'ovn_cluster_router',
      String([100, 102, 1004][i % 3]),
      `ip4.src == 10.128.1.${i + 2}`,
      i % 3 ? 'allow' : 'reroute',
      ...(i % 3 ? [] : ['100.88.0.3']),
    ]);
  for (let i = 0; i < 8; i++) cmds.push(['lsp-add', 'w0', `ns_pod-${i}`]);
  nb(...cmds.flatMap((c) => ['--', ...c]));
  // external_ids as ovnkube writes them, logical ports on some NATs, port tags / addresses / enabled on ports
  const nats = nb('--bare', '--columns=_uuid,logical_ip', 'find', 'NAT').trim().split(/\n\n/);
  const sets: string[] = [];
  for (const [i, rec] of nats.entries()) {
    const [uuid] = rec.split('\n');
    sets.push(
      '--',
      'set',
      'NAT',
      uuid,
      `external_ids:"k8s.ovn.org/owner-type"=${i % 4 ? 'EgressIP' : 'EgressService'}`,
      `external_ids:"k8s.ovn.org/name"=eip-${i % 5}`,
    );
    if (i % 3 === 0) sets.push(`logical_port=ns_pod-${i % 8}`);
    if (i % 7 === 0) sets.push('options:stateless=true');
  }
  nb(...sets);
  const ports: string[] = [];
  for (let i = 0; i < 8; i++) {
    ports.push('--', 'set', 'Logical_Switch_Port', `ns_pod-${i}`, `addresses="0a:58:0a:80:01:0${i} 10.128.1.${i + 2}"`);
    if (i % 2) ports.push(`tag=${i}`);
    if (i % 3 === 0) ports.push(`enabled=${i % 2 ? 'true' : 'false'}`);
    if (i % 4 === 0) ports.push(`port_security="0a:58:0a:80:01:0${i}"`);
  }
  nb(...ports);
  nb('create', 'Address_Set', 'name=as_a', 'addresses=["10.0.0.1","10.0.0.2"]');
  nb('create', 'Address_Set', 'name=as_b', 'addresses=["10.0.0.1"]');
  nb('create', 'Address_Set', 'name=as_c', 'addresses=[]');
  nb('create', 'Address_Set', 'name=as_d', 'addresses=["10.0.0.1","10.0.0.2","10.0.0.3"]');
}

function fillSb(sb: (...a: string[]) => string): void {
  for (let i = 0; i < 4; i++) sb('chassis-add', `ch${i}`, 'geneve', `192.168.0.${i + 1}`);
  sb('set', 'Chassis', 'ch1', 'hostname=worker-1', 'external_ids:role=edge');
}

async function makeBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nh-fastread-'));
  mkdirSync(join(dir, 'nodes/worker-0'), { recursive: true });
  const nbDb = join(dir, 'nodes/worker-0/nb.db');
  const sbDb = join(dir, 'nodes/worker-0/sb.db');
  execFileSync('ovsdb-tool', ['create', nbDb, '/usr/share/ovn/ovn-nb.ovsschema']);
  execFileSync('ovsdb-tool', ['create', sbDb, '/usr/share/ovn/ovn-sb.ovsschema']);
  await withServer(nbDb, dir, fillNb, 'ovn-nbctl');
  await withServer(sbDb, dir, fillSb, 'ovn-sbctl');
  const manifest: Manifest = {
    version: 1,
    tool: 'netharness',
    createdAt: new Date().toISOString(),
    source: 'test',
    kinds: [],
    logs: [],
    nodes: { 'worker-0': { pod: 'ovnkube-node-a', nbDb: 'nodes/worker-0/nb.db', sbDb: 'nodes/worker-0/sb.db', commands: [] } },
    errors: [],
    durationMs: 1,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

let dir: string;
let target: BundleTarget;
const ctx = (budgetBytes = 10 * 1024 * 1024): ToolContext => ({ target, budgetBytes, timeoutMs: 60_000 });

async function call(args: Record<string, unknown>, path: 'fast' | 'nbctl', budgetBytes?: number) {
  const prev = process.env.NETHARNESS_MCP_OVSDB_READ;
  process.env.NETHARNESS_MCP_OVSDB_READ = path;
  try {
    return await tool.call(ctx(budgetBytes), { node: 'worker-0', db: 'nb', ...args });
  } finally {
    if (prev === undefined) delete process.env.NETHARNESS_MCP_OVSDB_READ;
    else process.env.NETHARNESS_MCP_OVSDB_READ = prev;
  }
}

/** format json records of a result, by _uuid */
function records(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .sort((a, b) => String(a._uuid).localeCompare(String(b._uuid)));
}
const count = (text: string) => Number(/^(\d+) record\(s\)/m.exec(text)?.[1] ?? NaN);

beforeAll(async () => {
  dir = await makeBundle();
  target = BundleTarget.open(dir);
}, 60_000);
afterAll(async () => {
  await target?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fast read = ovn-nbctl, on the same DB', () => {
  // [table, conditions, columns?, db?]: every form the fast read models (asserted: it answered, not ovn-nbctl)
  const MODELLED: [string, string[], string[]?, 'sb'?][] = [
    ['NAT', []],
    ['Logical_Router_Policy', []],
    ['Logical_Switch_Port', []],
    ['Address_Set', []],
    ['Logical_Router', [], ['name', 'policies']],
    ['NAT', ['type=snat']],
    ['NAT', ['type!=snat']],
    ['NAT', ['type=dnat_and_snat'], ['external_ip', 'logical_ip']],
    ['NAT', ['type{=}snat']],
    ['NAT', ['type{!=}snat']],
    ['NAT', ['type<snat']],
    ['NAT', ['type>=dnat_and_snat']],
    ['NAT', ['logical_ip="10.128.1.5"']],
    ['NAT', ['logical_ip=10.128.1.5']],
    ['NAT', ['logical_ip>"10.128.1.50"', 'logical_ip<=10.128.1.70']],
    ['NAT', ['external_ip="172.18.0.31"', 'type=snat'], ['logical_ip']],
    ['NAT', ['external_ids:"k8s.ovn.org/owner-type"=EgressIP']],
    ['NAT', ['external_ids:"k8s.ovn.org/owner-type"!=EgressIP']],
    ['NAT', ['external_ids:"k8s.ovn.org/owner-type"{!=}EgressIP']],
    ['NAT', ['external_ids:"k8s.ovn.org/name"<eip-2'], ['external_ids']],
    ['NAT', ['external_ids:"k8s.ovn.org/name">=eip-3']],
    ['NAT', ['external_ids:"no-such-key"=x']],
    ['NAT', ['external_ids:"no-such-key"{!=}x']],
    ['NAT', ['external_ids:"no-such-key"{<=}x']],
    ['NAT', ['external_ids:"k8s.ovn.org/name"{=}eip-1']],
    ['NAT', ['logical_port=[]']],
    ['NAT', ['logical_port!=[]'], ['logical_ip']],
    ['NAT', ['logical_port=ns_pod-3']],
    ['NAT', ['logical_port{<=}ns_pod-3']],
    ['NAT', ['logical_ip=10.128.1.5 ']],
    ['NAT', ['logical_ip= 10.128.1.5']],
    ['NAT', ['logical_port{>}[]']],
    ['NAT', ['options={stateless="false"}']],
    ['NAT', ['options:stateless=true']],
    ['NAT', ['options{>=}{stateless="true"}']],
    ['NAT', ['options{<=}{stateless="true",foo=bar}']],
    ['NAT', ['options!={}']],
    ['NAT', ['external_ids={}']],
    ['Logical_Router_Policy', ['priority=100']],
    ['Logical_Router_Policy', ['priority!=100']],
    ['Logical_Router_Policy', ['priority>=102'], ['priority', 'match']],
    ['Logical_Router_Policy', ['priority<1004', 'priority>100']],
    ['Logical_Router_Policy', ['priority<=102', 'action=allow']],
    ['Logical_Router_Policy', ['nexthops{>=}"100.88.0.3"']],
    ['Logical_Router_Policy', ['nexthops=[]']],
    ['Logical_Switch_Port', ['tag=3']],
    ['Logical_Switch_Port', ['tag<4']],
    ['Logical_Switch_Port', ['tag>=[]']],
    ['Logical_Switch_Port', ['tag=[]']],
    ['Logical_Switch_Port', ['enabled=true']],
    ['Logical_Switch_Port', ['enabled!=false'], ['name', 'enabled']],
    ['Logical_Switch_Port', ['enabled{<=}[true]']],
    ['Logical_Switch_Port', ['port_security!=[]']],
    ['Address_Set', ['addresses{>=}"10.0.0.2"']],
    ['Address_Set', ['addresses{<=}["10.0.0.1","10.0.0.2"]']],
    ['Address_Set', ['addresses{<}["10.0.0.1","10.0.0.2"]']],
    ['Address_Set', ['addresses{>}["10.0.0.1"]']],
    ['Address_Set', ['addresses>["10.0.0.1","10.0.0.2"]']],
    ['Address_Set', ['addresses<["10.0.0.1","10.0.0.3"]']],
    ['Address_Set', ['addresses="10.0.0.1"']],
    ['Address_Set', ['addresses=[]']],
    ['Address_Set', ['addresses="10.0.0.2","10.0.0.1"']],
    ['Chassis', [], undefined, 'sb'],
    ['Chassis', ['name=ch1'], undefined, 'sb'],
    ['Chassis', ['external_ids:role=edge'], ['name', 'hostname'], 'sb'],
    ['Chassis', ['hostname!=""'], undefined, 'sb'],
  ];

  it.each(MODELLED.map((m) => [`${m[3] ?? 'nb'} ${m[0]} ${m[1].join(' ')} ${m[2]?.join(',') ?? ''}`, m] as const))(
    '%s',
    async (_name, [table, conditions, columns, db]) => {
      const args = {
        table,
        ...(db ? { db } : {}),
        ...(conditions.length ? { conditions } : {}),
        ...(columns ? { columns } : {}),
        format: 'json',
      };
      const fast = await call(args, 'fast');
      const old = await call(args, 'nbctl');
      expect(old.isError, old.text).toBeFalsy();
      expect(fast.text, 'the fast read answered').toMatch(FAST);
      expect(records(fast.text)).toEqual(records(old.text));
      expect(count(fast.text)).toBe(count(old.text));
      // the same headings (record keys in order) as ovn-nbctl prints
      const first = (t: string) => t.split('\n').find((l) => l.startsWith('{'));
      if (first(old.text)) expect(Object.keys(JSON.parse(first(fast.text)!))).toEqual(Object.keys(JSON.parse(first(old.text)!)));
    },
  );

  it('at least one modelled form selects nothing and one selects everything (the table is not degenerate)', async () => {
    expect(count((await call({ table: 'NAT', conditions: ['external_ids:"no-such-key"=x'] }, 'fast')).text)).toBe(0);
    expect(count((await call({ table: 'NAT', conditions: ['external_ids:"no-such-key"{!=}x'] }, 'fast')).text)).toBe(90);
  });

  // forms left to ovn-nbctl: the answer (records or error text) is exactly ovn-nbctl's
  const FALLBACK: [string, Record<string, unknown>][] = [
    ['enum violation', { table: 'NAT', conditions: ['type=foo'] }],
    ['not an integer', { table: 'Logical_Router_Policy', conditions: ['priority=abc'] }],
    ['uuid column', { table: 'Logical_Router', conditions: ['nat!=[]'] }],
    ['table abbreviation', { table: 'nat', conditions: ['type=snat'] }],
    ['column abbreviation', { table: 'NAT', columns: ['logical_i'] }],
    ['unknown column', { table: 'NAT', conditions: ['nope=1'] }],
    ['unknown table', { table: 'No_Such_Table' }],
    ['record by name', { table: 'Logical_Router', record: 'GR_w0' }],
    ['more values than a scalar holds', { table: 'NAT', conditions: ['logical_port{<=}[ns_pod-3,ns_pod-0]'] }],
    ['fewer values than the column needs', { table: 'NAT', conditions: ['type=[]'] }],
    ['two bare words', { table: 'NAT', conditions: ['logical_ip=10.128.1.5 10.128.1.6'] }],
    ['empty value', { table: 'NAT', conditions: ['logical_ip='] }],
    ['key on a non-map column', { table: 'NAT', conditions: ['type:x=snat'] }],
    ['duplicate set value', { table: 'Address_Set', conditions: ['addresses=["10.0.0.1","10.0.0.1"]'] }],
    ['key with an empty set', { table: 'NAT', conditions: ['external_ids:"k8s.ovn.org/name"=[]'] }],
  ];
  it.each(FALLBACK)('falls back to ovn-nbctl: %s', async (_name, args) => {
    const fast = await call({ ...args, format: 'json' }, 'fast');
    const old = await call({ ...args, format: 'json' }, 'nbctl');
    expect(fast.text).not.toMatch(FAST);
    expect(fast.isError).toBe(old.isError);
    expect(fast.text).toBe(old.text);
  });

  it('paged reads: every page of the default budget, offsets and limits, equal to ovn-nbctl and to the full read', async () => {
    const all = records((await call({ table: 'NAT', format: 'json' }, 'nbctl')).text);
    for (const format of ['text', 'json'] as const) {
      const seen: string[] = [];
      let offset = 0;
      for (let guard = 0; guard < 100 && offset < 90; guard++) {
        // twice per page: the second read guesses the page from the first's order (one transaction)
        const a = await call({ table: 'NAT', format, offset }, 'fast', 4096);
        const b = await call({ table: 'NAT', format, offset }, 'fast', 4096);
        expect(a.text).toMatch(FAST);
        expect(b.text).toBe(a.text);
        expect(count(a.text)).toBe(90);
        const shown = [...a.text.matchAll(/"?_uuid"?\s*:?\s*"?([0-9a-f-]{36})/g)].map((m) => m[1]);
        expect(shown.length).toBeGreaterThan(0);
        seen.push(...shown);
        const next = /offset=(\d+)/.exec(a.text);
        if (!next) break;
        offset = Number(next[1]);
      }
      // the pages cover every row once, in _uuid order
      expect(seen).toEqual(all.map((r) => String(r._uuid)));
    }
    const limited = await call({ table: 'NAT', format: 'json', offset: 10, limit: 3 }, 'fast');
    expect(records(limited.text).map((r) => r._uuid)).toEqual(all.slice(10, 13).map((r) => r._uuid));
  });

  it("rows added and deleted between reads: the guessed page is corrected, the answer is still ovn-nbctl's", async () => {
    // write through the bundle's own local server (a copy of the bundled file): the test's stand-in for ovnkube
    const dbs = (target as unknown as { dbs: Map<string, Promise<{ sock: string }>> }).dbs;
    const { sock } = await dbs.get('worker-0/nb')!;
    const nb = (...a: string[]) => execFileSync('ovn-nbctl', [`--db=unix:${sock}`, ...a], { encoding: 'utf8' });
    const args = { table: 'Address_Set', format: 'json' as const, limit: 2 };
    const before = await call(args, 'fast', 4096);
    expect(count(before.text)).toBe(4);
    for (let i = 0; i < 6; i++) nb('create', 'Address_Set', `name=as_new${i}`, `addresses="10.9.0.${i}"`);
    nb('destroy', 'Address_Set', records(before.text)[0]._uuid as string);
    for (const offset of [0, 2, 4, 6, 8]) {
      const fast = await call({ ...args, offset }, 'fast', 4096);
      expect(fast.text).toMatch(FAST);
      expect(count(fast.text)).toBe(9);
      const all = records((await call({ table: 'Address_Set', format: 'json' }, 'nbctl')).text);
      expect(records(fast.text)).toEqual(all.slice(offset, offset + 2));
    }
  });
});

describe('server side: ovsdb-client query rolls back whatever it runs', () => {
  it('a delete sent with query (refused by the guard) leaves every row in place', async () => {
    const file = join(dir, 'nodes/worker-0/nb.db');
    const copy = join(dir, 'rollback.db');
    execFileSync('cp', [file, copy]);
    const sock = join(dir, 'rb.sock');
    const p = spawn('ovsdb-server', [`--remote=punix:${sock}`, `--unixctl=${join(dir, 'rb.ctl')}`, '--no-chdir', copy], {
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
      const reply = execFileSync('ovsdb-client', ['query', `unix:${sock}`, '["OVN_Northbound",{"op":"delete","table":"NAT","where":[]}]'], {
        encoding: 'utf8',
      });
      expect(JSON.parse(reply)[0]).toEqual({ count: 90 });
      const left = execFileSync('ovn-nbctl', [`--db=unix:${sock}`, '--bare', '--columns=_uuid', 'list', 'NAT'], { encoding: 'utf8' });
      expect(left.trim().split(/\n+/)).toHaveLength(90);
    } finally {
      p.kill('SIGTERM');
    }
  });
});
