/**
 * The reference agent's "SB follows the NB" survey at scale: NB Logical_Switch_Port names against SB Port_Binding
 * logical_ports over the whole tables. ovn_db_list is the real tool (mcp/tools/ovn.ts: its output budget, pages and
 * truncation notice) on a fake target that answers ovn-nbctl/ovn-sbctl as they do, each table in its own order, as
 * the NB and the SB keep theirs. The first pages then hold different ports: comparing them (the playbook before)
 * called a healthy node's ovn-northd down. The other Kubernetes and node tools answer "healthy" by hand.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../evals/agents/reference/playbook.ts';
import type { Tools } from '../../evals/agents/reference/mcp.ts';
import { ALL_TOOLS } from '../../mcp/tools/index.ts';
import { DEFAULT_BUDGET_BYTES } from '../../mcp/output.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import type { NodeCommand } from '../../mcp/target.ts';
import { FakeTarget } from '../mcp/fake-target.ts';
import { mulberry32 } from '../../harness/random.ts';

const NODE = 'worker-1';
const question = `Pods created a few minutes ago on node ${NODE} get no network. Find the root cause.`;
const dbList = ALL_TOOLS.find((t) => t.name === 'ovn_db_list')!;

interface Row {
  uuid: string;
  value: string;
}
/** The two tables as the fake DBs hold them; `onRead` may change them between two reads (a busy cluster). */
interface Dbs {
  nb: Row[];
  sb: Row[];
  onRead?: (db: 'nb' | 'sb', reads: number) => void;
}

const uuid = (r: () => number): string =>
  Array.from({ length: 5 }, (_, i) =>
    Math.floor(r() * 16 ** [8, 4, 4, 4, 12][i]!)
      .toString(16)
      .padStart([8, 4, 4, 4, 12][i]!, '0'),
  ).join('-');

/** `ovn-nbctl --format=json --columns=_uuid,<col> list|find <table> [col="value"]` over the rows, in their order */
function dbctl(rows: Row[], argv: string[]): string {
  const col = /^--columns=_uuid,(\w+)$/.exec(argv.find((a) => a.startsWith('--columns=')) ?? '')?.[1] ?? 'name';
  const cond = argv.includes('find') ? argv.at(-1) : undefined;
  const want = cond ? (JSON.parse(/^\w+=(.*)$/.exec(cond)![1]!) as string) : undefined;
  const data = rows.filter((r) => want === undefined || r.value === want).map((r) => [['uuid', r.uuid], r.value]);
  return JSON.stringify({ headings: ['_uuid', col], data });
}

/**
 * The playbook's tools: ovn_db_list through the real tool on a fake target (no ovsdb-client socket, so the tool
 * runs ovn-nbctl/ovn-sbctl, whose output the target makes from the rows), the rest canned for a healthy node.
 */
function fakeTools(dbs: Dbs, budget = 100): Tools & { log: Record<string, unknown>[] } {
  const reads = { nb: 0, sb: 0 };
  const target = new FakeTarget([], (cmd: NodeCommand) => {
    if (cmd.argv[0] === 'ovsdb-client') return { exitCode: 1, stderr: 'ovsdb-client: failed to connect (No such file or directory)' };
    const db = cmd.argv[0] === 'ovn-nbctl' ? 'nb' : 'sb';
    dbs.onRead?.(db, ++reads[db]);
    return { stdout: dbctl(db === 'nb' ? dbs.nb : dbs.sb, cmd.argv) };
  });
  const ctx: ToolContext = { target, budgetBytes: DEFAULT_BUDGET_BYTES, timeoutMs: 10_000 };
  const canned: Record<string, string> = {
    ovn_ct_zone_list: 'k8s-worker-1 1\nstor-worker-1 2',
    ovs_ofctl_dump_flows: ' cookie=0x0, table=0, priority=100,in_port=1 actions=resubmit(,8)',
    kernel_ip_route: 'default via 192.168.126.1 dev br-ex\n10.128.0.0/14 via 10.128.1.1 dev ovn-k8s-mp0',
    kernel_ip_addr: '5: br-ex: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
    ovn_lsp_list: `a1b2 (k8s-${NODE})\nc3d4 (stor-${NODE})`,
  };
  const tools = {
    calls: 0,
    log: [] as Record<string, unknown>[],
    get left() {
      return budget - tools.calls;
    },
    async call(name: string, args: Record<string, unknown> = {}) {
      if (tools.calls >= budget) throw new Error(`tool-call budget ${budget} spent`);
      tools.calls++;
      if (name === 'k8s_list') {
        const out: Record<string, string> = {
          Node: `${NODE}  Ready=True  roles=worker\nworker-2  Ready=True  roles=worker`,
          Namespace: 'default\nopenshift-ovn-kubernetes',
          Pod: `openshift-ovn-kubernetes/ovnkube-node-abcde  phase=Running  node=${NODE}  ready=8/8  restarts=0  age=5m`,
        };
        return { text: out[String(args.kind)] ?? '', isError: false };
      }
      if (name === 'ovn_db_list') {
        tools.log.push(args);
        const r = await dbList.call(ctx, args);
        return { text: r.text, isError: r.isError === true };
      }
      if (name in canned) return { text: canned[name]!, isError: false };
      return { text: `no such tool ${name}`, isError: true };
    },
  };
  return tools as unknown as Tools & { log: Record<string, unknown>[] };
}

/**
 * A node with `pods` pod ports: NB has them and the node's own ports; SB binds every one of them and has its own
 * rows (router ports, chassis-redirect ports). Each DB in its own (uuid) order, as ovn_db_list returns them.
 */
function cluster(pods: number, seed = 7): Dbs {
  const r = mulberry32(seed);
  const names = [`k8s-${NODE}`, `stor-${NODE}`, `breth0_${NODE}`, ...Array.from({ length: pods }, (_, i) => `ns-${i % 7}_web-${i}`)];
  const sbOnly = [`rtos-${NODE}`, `cr-rtos-${NODE}`, `rtoj-ovn_cluster_router`, `jtor-ovn_cluster_router`, `tstor-${NODE}`];
  const byUuid = (rows: Row[]) => rows.sort((a, b) => a.uuid.localeCompare(b.uuid));
  return {
    nb: byUuid(names.map((value) => ({ uuid: uuid(r), value }))),
    sb: byUuid([...names, ...sbOnly].map((value) => ({ uuid: uuid(r), value }))),
  };
}

/** what a first page of each table shows (the old playbook's view) */
async function firstPages(dbs: Dbs): Promise<{ nb: string[]; sb: string[]; nbTotal: number }> {
  const t = fakeTools(dbs);
  const names = (text: string, col: string) =>
    [...text.matchAll(new RegExp(`^${col}\\s*:\\s*"?([^"\\n]+?)"?\\s*$`, 'gm'))].map((m) => m[1]!);
  const nb = await t.call('ovn_db_list', { node: NODE, db: 'nb', table: 'Logical_Switch_Port', columns: ['name'] });
  const sb = await t.call('ovn_db_list', { node: NODE, db: 'sb', table: 'Port_Binding', columns: ['logical_port'] });
  return { nb: names(nb.text, 'name'), sb: names(sb.text, 'logical_port'), nbTotal: Number(/^(\d+) record/m.exec(nb.text)![1]) };
}

describe('reference agent: NB ports against SB port bindings, over every page', () => {
  it('a healthy node with more ports than a page: the first pages differ, the whole tables agree: no finding', async () => {
    const dbs = cluster(400);
    const p1 = await firstPages(dbs);
    // the premise: one page does not hold the table, and page 1 of the NB names ports that page 1 of the SB does not
    expect(p1.nb.length).toBeLessThan(p1.nbTotal);
    expect(p1.nb.filter((n) => !p1.sb.includes(n)).length).toBeGreaterThan(10);

    const t = fakeTools(dbs);
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('healthy');
    expect(d.detected).toBe(false);
    // it paged through both tables with the tool's offset, to the last row
    const offsets = (db: string) => t.log.filter((a) => a.db === db && !a.conditions).map((a) => a.offset ?? 0);
    expect(offsets('nb').length).toBeGreaterThanOrEqual(Math.ceil(dbs.nb.length / p1.nb.length));
    expect(offsets('sb').length).toBeGreaterThanOrEqual(Math.ceil(dbs.sb.length / p1.sb.length));
    expect(offsets('nb')[0]).toBe(0);
    expect(t.log.some((a) => a.conditions)).toBe(false); // no candidate to read again
  });

  it('one NB port without a Port_Binding, beyond the first page of both tables: found and named', async () => {
    const dbs = cluster(400);
    const p1 = await firstPages(dbs);
    const victim = dbs.nb.slice(p1.nb.length).find((r) => /web/.test(r.value) && !p1.sb.includes(r.value))!.value;
    dbs.sb = dbs.sb.filter((r) => r.value !== victim);
    const d = await diagnose(fakeTools(dbs), question);
    expect(d.category).toBe('ovn/process-down');
    expect(d.entities).toEqual([NODE, 'ovn-northd']);
    expect(d.mechanism).toContain(`(${victim})`);
    expect(d.evidence).toBe('1 NB ports not in SB');
  });

  it('ovn-northd down with a few new pods, on a small node (one page each): found', async () => {
    const dbs = cluster(20);
    const added = ['ns-1_new-0', 'ns-1_new-1', 'ns-1_new-2'];
    dbs.nb.push(...added.map((value, i) => ({ uuid: `ffff000${i}-0000-0000-0000-000000000000`, value })));
    const t = fakeTools(dbs);
    const d = await diagnose(t, question);
    expect(d.category).toBe('ovn/process-down');
    expect(d.mechanism).toContain(added.join(', '));
    expect(d.evidence).toBe('3 NB ports not in SB');
    // each candidate read again by name in both DBs
    expect(t.log.filter((a) => a.conditions).length).toBe(6);
  });

  it('a Port_Binding row removed between two SB pages shifts the next one out of view: read again by name, not reported', async () => {
    const dbs = cluster(400);
    const pageRows = (await firstPages(dbs)).sb.length;
    // after the first SB page, a port of that page goes (its pod was deleted, in NB and SB): the row that was first
    // on page 2 moves to the end of page 1 and no page shows it
    const gone = dbs.sb.find((r) => /web/.test(r.value))!.value;
    // the row that page 2 would have started with: a pod's port (swap in one if the order put another row there)
    const web = dbs.sb.findIndex((r, i) => i > pageRows && /web/.test(r.value));
    [dbs.sb[pageRows]!.value, dbs.sb[web]!.value] = [dbs.sb[web]!.value, dbs.sb[pageRows]!.value];
    const hidden = dbs.sb[pageRows]!.value;
    expect(dbs.sb.findIndex((r) => r.value === gone)).toBeLessThan(pageRows);
    expect(dbs.nb.some((r) => r.value === hidden)).toBe(true);
    dbs.onRead = (db, reads) => {
      if (db === 'sb' && reads === 2) {
        dbs.sb = dbs.sb.filter((r) => r.value !== gone);
        dbs.nb = dbs.nb.filter((r) => r.value !== gone);
      }
    };
    const t = fakeTools(dbs);
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('healthy');
    expect(t.log.filter((a) => a.conditions).map((a) => a.conditions)).toContainEqual([`logical_port=${JSON.stringify(hidden)}`]);
  });

  it('a tool-call budget that does not reach the last page: no conclusion from a partial list', async () => {
    const dbs = cluster(2000);
    const t = fakeTools(dbs, 20);
    const d = await diagnose(t, question);
    expect(d.category, d.mechanism).toBe('healthy');
    expect(t.calls).toBeLessThanOrEqual(20);
  });
});
