/**
 * OVN tools: the northbound DB (what ovnkube wants: routers, switches, NATs, policies, routes),
 * the southbound DB (what northd compiled: logical flows, chassis, port bindings), ovn-trace and
 * ovn-controller's conntrack zones. In OVN-Kubernetes interconnect mode every node has its own
 * NB and SB DB, so every tool here takes a `node`.
 */
import * as z from 'zod';
import { defineTool, nodeTextTool, runNodeCommand, header, pageOpts, type AnyTool } from '../registry.ts';
import { MAX_LINE_CHARS, pageItems, type PageOptions } from '../output.ts';
import { column, condition, microflow, nodeArg, outputShape, ovnName, record, table } from '../validate.ts';
import { ToolError, type NodeCommand } from '../target.ts';
import { fastList } from '../ovsdb-reader.ts';

const NB = { bin: 'ovn-nbctl', container: 'nbdb' } as const;
const SB = { bin: 'ovn-sbctl', container: 'sbdb' } as const;
const dbArg = () =>
  z
    .enum(['nb', 'sb'])
    .describe(
      'nb = northbound DB (desired config written by ovnkube: Logical_Router, Logical_Switch, NAT, Logical_Router_Policy, Address_Set, ACL...). sb = southbound DB (compiled by northd: Logical_Flow, Port_Binding, Chassis, Datapath_Binding...).',
    );
const db = (d: 'nb' | 'sb') => (d === 'nb' ? NB : SB);

const INTRO = 'OVN-Kubernetes runs one OVN NB/SB database per node (interconnect mode), so pick the node whose view you need.';

/** OVSDB JSON cell (RFC 7047 notation as printed by `--format=json`) to a plain value. */
export function cellValue(c: unknown): unknown {
  if (Array.isArray(c) && c.length === 2 && typeof c[0] === 'string') {
    const [tag, v] = c as [string, unknown];
    if (tag === 'uuid' || tag === 'named-uuid') return v;
    if (tag === 'set' && Array.isArray(v)) return v.map(cellValue);
    if (tag === 'map' && Array.isArray(v))
      return Object.fromEntries((v as [unknown, unknown][]).map(([k, val]) => [String(cellValue(k)), cellValue(val)]));
  }
  return c;
}

export type OvsdbRecord = Record<string, unknown>;

/** `--format=json` output as its headings and raw rows (records are built only for rows that are shown). */
export function parseDbctlTable(stdout: string): { headings: string[]; data: unknown[][] } {
  let doc: { headings?: string[]; data?: unknown[][] };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new ToolError(`could not parse JSON output: ${stdout.slice(0, 200)}`);
  }
  return { headings: doc.headings ?? [], data: doc.data ?? [] };
}

export function recordOf(headings: string[], row: unknown[]): OvsdbRecord {
  const r: OvsdbRecord = {};
  for (let i = 0; i < headings.length; i++) r[headings[i]] = cellValue(row[i]);
  return r;
}

export function parseDbctlJson(stdout: string): OvsdbRecord[] {
  const t = parseDbctlTable(stdout);
  return t.data.map((row) => recordOf(t.headings, row));
}

/**
 * The rendered items pageItems needs: with grep, every record (grep runs on them); without, only the records
 * from offset until the page surely ends (their cost passes the budget, or the limit is reached); the others
 * are empty placeholders pageItems never reaches (it stops at the first record over the budget), so a
 * 2000-row table renders the ~20 records an 8 KiB page shows, not 2000.
 */
export function renderForPage(n: number, render: (i: number) => string, opts: PageOptions, sepLen: number): string[] {
  if (opts.grep) return Array.from({ length: n }, (_, i) => render(i));
  const room = Math.max(256, opts.budgetBytes - 400);
  const offset = Math.min(opts.offset ?? 0, n);
  const end = Math.min(n, offset + (opts.limit ?? n));
  const items = new Array<string>(n).fill('');
  let used = 0;
  for (let i = offset; i < end && used <= room; i++) {
    items[i] = render(i);
    // at least what pageItems charges: a cut line still costs MAX_LINE_CHARS
    used += Math.min(Buffer.byteLength(items[i]), MAX_LINE_CHARS) + sepLen;
  }
  return items;
}

function renderValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(renderValue).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${fmtAtom(k)}=${renderValue(x)}`)
      .join(', ')}}`;
  return fmtAtom(v);
}
function fmtAtom(v: unknown): string {
  if (typeof v === 'string') return /^[A-Za-z0-9_.-]+$/.test(v) && !/^[0-9.-]+$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

/** One record as `column : value` lines (like `ovn-nbctl list`). */
export function renderRecord(r: OvsdbRecord): string {
  const width = Math.max(...Object.keys(r).map((k) => k.length));
  return Object.entries(r)
    .map(([k, v]) => `${k.padEnd(width)} : ${renderValue(v)}`)
    .join('\n');
}

const listShape = {
  node: nodeArg(),
  db: dbArg(),
  table: table().describe(
    'OVSDB table, e.g. NAT, Logical_Router_Policy, Logical_Router, Logical_Switch, Logical_Switch_Port, Address_Set, Logical_Router_Static_Route, ACL, Load_Balancer (nb); Logical_Flow, Port_Binding, Chassis, Datapath_Binding, MAC_Binding (sb).',
  ),
  record: record().optional().describe('One row by name or UUID (e.g. GR_ovn-worker for table Logical_Router). Omit to list all rows.'),
  conditions: z
    .array(condition())
    .max(8)
    .optional()
    .describe(
      'Only rows matching ALL conditions (ovn-nbctl find syntax), e.g. ["type=snat"], ["priority=100"], ["external_ids:\\"k8s.ovn.org/owner-type\\"=EgressIP"], ["logical_ip=\\"10.128.2.5\\""]. Cannot be combined with record.',
    ),
  columns: z
    .array(column())
    .max(32)
    .optional()
    .describe('Only these columns, e.g. ["external_ip","logical_ip","logical_port","external_ids"]. _uuid is always shown.'),
  ...outputShape,
};

function planList(a: z.output<z.ZodObject<typeof listShape>>): NodeCommand {
  if (a.record && a.conditions?.length) throw new ToolError('pass either record or conditions, not both');
  const d = db(a.db);
  const argv: string[] = [d.bin, '--format=json'];
  if (a.columns?.length) argv.push(`--columns=${['_uuid', ...a.columns.filter((c) => c !== '_uuid')].join(',')}`);
  if (a.conditions?.length) argv.push('find', a.table, ...a.conditions);
  else argv.push('list', a.table, ...(a.record ? [a.record] : []));
  return { node: a.node, container: d.container, argv };
}

const ovnList = defineTool({
  name: 'ovn_db_list',
  toolset: 'ovn',
  title: 'List or find rows of an OVN NB/SB table',
  description: `Rows of any table of a node's OVN northbound (db=nb) or southbound (db=sb) database, like \`ovn-nbctl list <table>\` / \`ovn-nbctl find <table> <conditions>\`. ${INTRO} Use it to see exactly what ovnkube programmed. Example: EgressIP SNATs are NAT rows (type=snat, external_ip=<egress IP>, logical_ip=<pod IP>) on router GR_<egress-node> in the EGRESS node's NB DB: {node:"<egress-node>", db:"nb", table:"NAT", conditions:["type=snat"], columns:["external_ip","logical_ip","logical_port","external_ids"]}. EgressIP reroute policies are Logical_Router_Policy rows with priority 100 on ovn_cluster_router in the POD's node NB DB: {table:"Logical_Router_Policy", conditions:["priority=100"]}. grep filters whole records; results page by record.`,
  shape: listShape,
  plan: planList,
  async run(ctx, a) {
    const nbctl = planList(a);
    // one ovsdb-client select when it gives exactly ovn-nbctl's rows (mcp/ovsdb-reader.ts), else ovn-nbctl itself
    const fast = await fastList(ctx, a, nbctl.argv.join(' '));
    let head: string;
    let t: { headings: string[]; data: (unknown[] | undefined)[] };
    if (fast) {
      head = `# ${fast.equivalent}  [node ${a.node}, ${fast.out.where}, read as one ovsdb-client select]`;
      t = fast.table;
    } else {
      const out = await runNodeCommand(ctx, nbctl);
      head = header(nbctl, out);
      t = parseDbctlTable(out.stdout);
    }
    const sep = a.format === 'json' ? '\n' : '\n\n';
    const opts = pageOpts(ctx, a, {
      unit: 'records',
      hints: a.columns?.length ? ['conditions=[...]'] : ['columns=[...]', 'conditions=[...]'],
    });
    const render = (i: number): string => {
      const row = t.data[i];
      // a paged read fetched the rows its page can show (mcp/ovsdb-reader.ts pageRows); reaching another is a bug
      if (!row) throw new Error(`record ${i} of ${a.table} was not read (paged read too short)`);
      const r = recordOf(t.headings, row);
      return a.format === 'json' ? JSON.stringify(r) : renderRecord(r);
    };
    const page = pageItems(renderForPage(t.data.length, render, opts, sep.length), opts, sep);
    return { text: `${head}\n${t.data.length} record(s) in ${a.table}\n${page.text}` };
  },
});

const ovnShow = nodeTextTool({
  name: 'ovn_show',
  toolset: 'ovn',
  title: "Overview of a node's OVN NB or SB database",
  description: `\`ovn-nbctl show\` (db=nb: logical switches, routers, their ports, NATs) or \`ovn-sbctl show\` (db=sb: chassis and port bindings). ${INTRO} A good first look at a node's topology: ovn_cluster_router, GR_<node> (gateway router, holds SNATs), the node's switch <node>, join and transit switches. Example: {node:"ovn-worker", db:"nb", grep:"GR_|nat"}.`,
  shape: { node: nodeArg(), db: dbArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: db(a.db).container, argv: [db(a.db).bin, 'show'] }),
  hints: ['grep=<router or switch name>'],
});

const routerArg = (dflt?: string) =>
  ovnName('router', 'GR_ovn-worker').describe(
    `Logical router name: ovn_cluster_router (the distributed cluster router: pod routing and EgressIP reroute policies) or GR_<node> (the node's gateway router: SNATs, including EgressIP SNATs)${dflt ? `; default ${dflt}` : ''}.`,
  );

const lrNatList = nodeTextTool({
  name: 'ovn_lr_nat_list',
  toolset: 'ovn',
  title: 'NAT rules of a logical router',
  description: `\`ovn-nbctl lr-nat-list <router>\`: the NAT table of one router as columns TYPE, GATEWAY_PORT, EXTERNAL_IP, EXTERNAL_PORT, LOGICAL_IP... ${INTRO} EgressIP SNATs (snat <egress IP> <pod IP>) live on GR_<egress-node> in the EGRESS node's DB; other nodes have none for that EgressIP. The LOGICAL_PORT column is blank for them (ovn-nbctl prints it only with an external MAC); use ovn_db_list table=NAT for logical_port and external_ids. Example: {node:"ovn-worker2", router:"GR_ovn-worker2", grep:"172\\\\.18\\\\.0\\\\.33"}.`,
  shape: { node: nodeArg(), router: routerArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: NB.container, argv: [NB.bin, 'lr-nat-list', a.router] }),
});

const lrPolicyList = nodeTextTool({
  name: 'ovn_lr_policy_list',
  toolset: 'ovn',
  title: 'Routing policies of a logical router',
  description: `\`ovn-nbctl lr-policy-list <router>\`: policies as "priority match action [nexthops] [options]", highest priority first. ${INTRO} On ovn_cluster_router: priority 100 "ip4.src == <pod IP> reroute <nexthop>" are EgressIP reroutes (present only in the POD's node DB; nexthop 100.64.0.x = local gateway router, 100.88.0.x = the egress node's transit-switch IP); 102 "allow" rows keep pod-to-pod/pod-to-node traffic off the egress path; 1004/1003 are node/inter-node routes. Example: {node:"ovn-worker", grep:"^ *100 "}.`,
  shape: { node: nodeArg(), router: routerArg('ovn_cluster_router').default('ovn_cluster_router'), ...outputShape },
  plan: (a) => ({ node: a.node, container: NB.container, argv: [NB.bin, 'lr-policy-list', a.router] }),
});

const lrRouteList = nodeTextTool({
  name: 'ovn_lr_route_list',
  toolset: 'ovn',
  title: 'Static routes of a logical router',
  description: `\`ovn-nbctl lr-route-list <router>\`: static routes (prefix, nexthop, output port, src-ip/dst-ip policy). ${INTRO} On ovn_cluster_router you see per-node subnets via the transit switch (100.88.0.x) and the cluster-subnet src-ip route to the local gateway router; on GR_<node>, the default route to the external gateway. Example: {node:"ovn-worker", router:"ovn_cluster_router"}.`,
  shape: { node: nodeArg(), router: routerArg('ovn_cluster_router').default('ovn_cluster_router'), ...outputShape },
  plan: (a) => ({ node: a.node, container: NB.container, argv: [NB.bin, 'lr-route-list', a.router] }),
});

const lrList = nodeTextTool({
  name: 'ovn_lr_list',
  toolset: 'ovn',
  title: "Logical routers of a node's NB DB",
  description: `\`ovn-nbctl lr-list\`: UUID and name of every logical router (ovn_cluster_router, GR_<node>...). ${INTRO}`,
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: NB.container, argv: [NB.bin, 'lr-list'] }),
});

const lsList = nodeTextTool({
  name: 'ovn_ls_list',
  toolset: 'ovn',
  title: "Logical switches of a node's NB DB",
  description: `\`ovn-nbctl ls-list\`: UUID and name of every logical switch: the node switch (named like the node, holds pod ports), join, transit_switch, ext_<node>. ${INTRO}`,
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: NB.container, argv: [NB.bin, 'ls-list'] }),
});

const lspList = nodeTextTool({
  name: 'ovn_lsp_list',
  toolset: 'ovn',
  title: 'Ports of a logical switch',
  description: `\`ovn-nbctl lsp-list <switch>\`: UUID and name of each port. Pod ports are named <namespace>_<pod>; k8s-<node> is the management port; stor-<node>/rtos-<node> connect to routers. ${INTRO} Example: {node:"ovn-worker", switch:"ovn-worker", grep:"default_"}.`,
  shape: {
    node: nodeArg(),
    switch: ovnName('switch', 'ovn-worker').describe(
      'Logical switch name, e.g. the node name (pod switch), join, transit_switch, ext_<node>.',
    ),
    ...outputShape,
  },
  plan: (a) => ({ node: a.node, container: NB.container, argv: [NB.bin, 'lsp-list', a.switch] }),
});

const lflowList = nodeTextTool({
  name: 'ovn_lflow_list',
  toolset: 'ovn',
  title: 'Logical flows compiled by northd (SB DB)',
  description: `\`ovn-sbctl lflow-list [datapath]\`: the logical flows northd compiled from the NB config, per datapath (router or switch) and pipeline stage, e.g. lr_in_policy holds the router policies and lr_out_snat / lr_in_dnat the NAT flows. ${INTRO} Output is large: always pass datapath and grep. Example: {node:"ovn-worker", datapath:"ovn_cluster_router", grep:"lr_in_policy.*10\\\\.128\\\\.2\\\\.5"}.`,
  shape: {
    node: nodeArg(),
    datapath: ovnName('datapath', 'ovn_cluster_router')
      .optional()
      .describe('Router or switch name (or datapath UUID). Strongly recommended.'),
    ...outputShape,
  },
  plan: (a) => ({ node: a.node, container: SB.container, argv: [SB.bin, 'lflow-list', ...(a.datapath ? [a.datapath] : [])] }),
  hints: ['datapath=<router or switch>', 'grep=<stage or IP>'],
});

const ovnTrace = nodeTextTool({
  name: 'ovn_trace',
  toolset: 'ovn',
  title: 'Simulate a packet through OVN logical flows',
  description: `\`ovn-trace <datapath> '<microflow>'\`: follows a hypothetical packet through the node's logical flows and prints every table, match and action it hits (routing decisions, policies, NAT, drops). ${INTRO} Use it to see where traffic from a pod goes, e.g. whether an EgressIP reroute policy fires. The microflow is an OVN expression; give inport (the pod's logical port "<namespace>_<pod>"), eth.src/eth.dst, ip4.src/ip4.dst and ip.ttl. Example: {node:"ovn-worker", datapath:"ovn-worker", microflow:"inport == \\"default_web-1\\" && eth.src == 0a:58:0a:80:02:05 && eth.dst == 0a:58:0a:80:02:01 && ip4.src == 10.128.2.5 && ip4.dst == 8.8.8.8 && ip.ttl == 64", detail:"summary"}.`,
  shape: {
    node: nodeArg(),
    datapath: ovnName('datapath', 'ovn-worker').describe(
      "Logical switch or router where the packet enters, usually the pod's node switch (named like the node).",
    ),
    microflow: microflow(),
    detail: z
      .enum(['detailed', 'summary', 'minimal'])
      .default('summary')
      .describe('summary (default) is compact; detailed shows every flow; minimal only the final actions.'),
    ...outputShape,
  },
  plan: (a) => ({ node: a.node, container: SB.container, argv: ['ovn-trace', `--${a.detail}`, a.datapath, a.microflow] }),
});

const ctZoneList = nodeTextTool({
  name: 'ovn_ct_zone_list',
  toolset: 'ovn',
  title: 'Conntrack zones assigned by ovn-controller',
  description: `\`ovn-appctl -t ovn-controller ct-zone-list\`: which conntrack zone ovn-controller on this node gave each logical port and router (e.g. "GR_ovn-worker_snat 5"). Use it with ovs_dpctl_dump_conntrack zone=<n> to see a pod's or gateway router's connections. ${INTRO}`,
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: 'ovn-controller', argv: ['ovn-appctl', '-t', 'ovn-controller', 'ct-zone-list'] }),
});

export const ovnTools: AnyTool[] = [
  ovnShow,
  ovnList,
  lrNatList,
  lrPolicyList,
  lrRouteList,
  lrList,
  lsList,
  lspList,
  lflowList,
  ovnTrace,
  ctZoneList,
];
