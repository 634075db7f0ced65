/**
 * The exporters' figures, with the metric names and labels of the real components:
 * - cluster-manager: ovnkube_clustermanager_num_egress_ips ("The number of defined egress IP
 *   addresses", ovn-kubernetes go-controller/pkg/metrics/cluster_manager.go), from the EgressIP objects.
 * - ovn-controller (as ovnkube-node reads it, go-controller/pkg/metrics/ovn.go):
 *   ovn_controller_integration_bridge_openflow_total from `ovs-ofctl dump-aggregate br-int`,
 *   ovn_controller_southbound_database_connected from `ovn-appctl -t ovn-controller connection-status`;
 *   northd: ovn_northd_status from `ovn-appctl -t ovn-northd status` (go-controller/pkg/metrics/ovn_northd.go).
 * - cAdvisor-style container metrics of the real OVN/OVS processes of each sim node, from /proc:
 *   container_cpu_usage_seconds_total, container_memory_working_set_bytes with namespace/pod/container
 *   labels (ovnkube-node-* pod containers nbdb, sbdb, northd, ovn-controller; ovs-vswitchd and the
 *   conf.db ovsdb-server run on the host as systemd units, id=/system.slice/<unit>.service).
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { GVR } from '../gvr.ts';
import type { KubeObject, SimContext } from '../types.ts';
import { histogram, type MetricFamily, type Sample } from './exposition.ts';
import { EIP_LATENCY_BUCKETS, type OvnkubeObserver } from './ovnkube-observer.ts';
import { OVN_NAMESPACE } from '../constants.ts';
import { getOvnNode } from '../ovn/index.ts';

const CLK_TCK = 100;

const BUILD_LABELS = { version: '0.0', revision: 'netharness-sim', branch: 'sim', build_user: '', build_date: '', goversion: 'go1.22' };

/** ovnkube-cluster-manager (go-controller/pkg/metrics/cluster_manager.go). */
export function clusterManagerFamilies(ctx: SimContext, obs: OvnkubeObserver): MetricFamily[] {
  const eips = ctx.store.list(GVR.egressips, {}) as KubeObject[];
  // upstream records getEgressIPAllocationTotalCount(allocator): the egress IPs assigned to nodes
  let assigned = 0;
  for (const e of eips) assigned += ((e.status as { items?: unknown[] } | undefined)?.items ?? []).length;
  return [
    {
      name: 'ovnkube_clustermanager_num_egress_ips',
      help: 'The number of defined egress IP addresses',
      type: 'gauge',
      samples: [{ value: assigned }],
    },
    {
      name: 'ovnkube_clustermanager_egress_ips_rebalance_total',
      help: 'The total number of times assigned egress IP(s) needed to be moved to a different node',
      type: 'counter',
      samples: [{ value: obs.rebalances }],
    },
    {
      name: 'ovnkube_clustermanager_egress_ips_node_unreachable_total',
      help: 'The total number of times assigned egress IP(s) were unreachable',
      type: 'counter',
      samples: [{ value: obs.unreachable }],
    },
    {
      name: 'ovnkube_clustermanager_leader',
      help: 'Identifies whether the instance of ovnkube-cluster-manager is a leader(1) or not(0).',
      type: 'gauge',
      samples: [{ value: 1 }],
    },
    {
      name: 'ovnkube_clustermanager_build_info',
      help: "A metric with a constant '1' value labeled by version, revision, branch, and go version from which ovnkube was built and when and who built it",
      type: 'gauge',
      samples: [{ labels: BUILD_LABELS, value: 1 }],
    },
  ];
}

/** ovnkube-controller of one zone (go-controller/pkg/metrics/ovnkube_controller.go). */
export function ovnkubeControllerFamilies(obs: OvnkubeObserver, node: string): MetricFamily[] {
  const z = obs.zone(node);
  const out: MetricFamily[] = [
    histogram(
      'ovnkube_controller_egress_ips_assign_latency_seconds',
      'The latency of egress IP assignment to ovn nb database',
      EIP_LATENCY_BUCKETS,
      z.assign,
    ),
    histogram(
      'ovnkube_controller_egress_ips_unassign_latency_seconds',
      'The latency of egress IP unassignment from ovn nb database',
      EIP_LATENCY_BUCKETS,
      z.unassign,
    ),
    {
      name: 'ovnkube_controller_leader',
      help: 'Identifies whether the instance of ovnkube-controller is a leader(1) or not(0).',
      type: 'gauge',
      samples: [{ value: 1 }],
    },
    {
      name: 'ovnkube_controller_build_info',
      help: "A metric with a constant '1' value labeled by version, revision, branch, and go version from which ovnkube was built and when and who built it",
      type: 'gauge',
      samples: [{ labels: BUILD_LABELS, value: 1 }],
    },
  ];
  if (z.syncSeconds !== undefined)
    out.push({
      name: 'ovnkube_controller_sync_duration_seconds',
      help: 'The duration to sync and setup all handlers for a given resource',
      type: 'gauge',
      samples: [{ labels: { resource_name: 'EgressIP' }, value: z.syncSeconds }],
    });
  return out;
}

/** One OVN/OVS process of a sim node, found by its cwd <workdir>/nodes/<node>. */
export interface SimProcess {
  pid: number;
  node: string;
  /** ovsdb-server-nb | ovsdb-server-sb | ovsdb-server | ovn-northd | ovn-controller | ovs-vswitchd */
  proc: string;
}

export function findSimProcesses(workdir: string): SimProcess[] {
  const prefix = `${fs.realpathSync(workdir)}/nodes/`;
  const out: SimProcess[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${d}/cwd`);
      if (!cwd.startsWith(prefix)) continue;
      const node = cwd.slice(prefix.length).split('/')[0];
      const comm = fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      let proc = comm;
      if (comm === 'ovsdb-server') {
        const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
        proc = cmd.includes('nb.db') ? 'ovsdb-server-nb' : cmd.includes('sb.db') ? 'ovsdb-server-sb' : 'ovsdb-server';
      }
      if (!['ovsdb-server-nb', 'ovsdb-server-sb', 'ovsdb-server', 'ovn-northd', 'ovn-controller', 'ovs-vswitchd'].includes(proc)) continue;
      out.push({ pid: Number(d), node, proc });
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return out;
}

/** The ovnkube-node pod container each OVN process is in (ovn-kubernetes dist/templates/ovnkube-node.yaml.j2). */
const CONTAINER: Record<string, string> = {
  'ovsdb-server-nb': 'nbdb',
  'ovsdb-server-sb': 'sbdb',
  'ovn-northd': 'northd',
  'ovn-controller': 'ovn-controller',
};

export function containerFamilies(ctx: SimContext, procs: SimProcess[], node: string): MetricFamily[] {
  const podOf = new Map<string, string>();
  for (const p of ctx.store.list(GVR.pods, { namespace: OVN_NAMESPACE }) as KubeObject[]) {
    const node = (p.spec as { nodeName?: string } | undefined)?.nodeName;
    if (node && p.metadata.name.startsWith('ovnkube-node-')) podOf.set(node, p.metadata.name);
  }
  const cpu: Sample[] = [];
  const mem: Sample[] = [];
  for (const pr of procs) {
    if (pr.node !== node) continue;
    let stat: string;
    let status: string;
    try {
      stat = fs.readFileSync(`/proc/${pr.pid}/stat`, 'utf8');
      status = fs.readFileSync(`/proc/${pr.pid}/status`, 'utf8');
    } catch {
      continue;
    }
    // fields after the ")" of comm: state is field 3; utime 14, stime 15 (proc(5))
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const container = CONTAINER[pr.proc];
    const labels: Record<string, string> = container
      ? { namespace: OVN_NAMESPACE, pod: podOf.get(pr.node) ?? '', container, id: `/kubepods.slice/${pr.proc}` }
      : {
          namespace: '',
          pod: '',
          container: '',
          id: `/system.slice/${pr.proc === 'ovs-vswitchd' ? 'ovs-vswitchd' : 'ovsdb-server'}.service`,
        };
    cpu.push({ labels: { ...labels, cpu: 'total' }, value: seconds });
    mem.push({ labels, value: rssKb * 1024 });
  }
  return [
    { name: 'container_cpu_usage_seconds_total', help: 'Cumulative cpu time consumed in seconds.', type: 'counter', samples: cpu },
    { name: 'container_memory_working_set_bytes', help: 'Current working set in bytes.', type: 'gauge', samples: mem },
  ];
}

async function capture(ctx: SimContext, node: string, argv: string[]): Promise<string | undefined> {
  const exec = ctx.services.ovnExec;
  if (!exec) return undefined;
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  const devnull = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const r = await exec(node, argv, { stdout: sink, stderr: devnull });
    return r.exitCode === 0 ? Buffer.concat(chunks).toString() : undefined;
  } catch {
    return undefined;
  }
}

/** `coverage/show` output -> counter name -> total (ovn-kubernetes coverageShowCounters: lines with "total:"). */
export function parseCoverage(out: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    if (!line.includes('total:')) continue;
    const f = line.trim().split(/\s+/);
    const v = Number(f[f.length - 1]);
    if (f[0] && Number.isFinite(v)) m.set(f[0], v);
  }
  return m;
}

/** `ovs-appctl -t ovs-vswitchd memory/show` -> key -> number ("handlers:4 idl-cells:680 ..."). */
export function parseMemoryShow(out: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const kv of out.split(/\s+/)) {
    const i = kv.indexOf(':');
    if (i > 0 && /^\d+$/.test(kv.slice(i + 1))) m.set(kv.slice(0, i), Number(kv.slice(i + 1)));
  }
  return m;
}

/** The coverage counters ovnkube-node exports per daemon (go-controller/pkg/metrics: ovnControllerCoverageShowCountersMap, ovsVswitchdCoverageShowCountersMap). */
const COMMON_COVERAGE = [
  'netlink_sent',
  'netlink_received',
  'netlink_recv_jumbo',
  'netlink_overflow',
  'rconn_sent',
  'rconn_queued',
  'rconn_discarded',
  'rconn_overflow',
  'vconn_open',
  'vconn_sent',
  'vconn_received',
  'stream_open',
  'txn_success',
  'txn_error',
  'txn_uncommitted',
  'txn_unchanged',
  'txn_incomplete',
  'txn_aborted',
  'txn_try_again',
];
export const OVN_CONTROLLER_COVERAGE = ['lflow_run', ...COMMON_COVERAGE, 'packet_in'];
export const OVS_VSWITCHD_COVERAGE = [
  ...COMMON_COVERAGE,
  'pstream_open',
  'dpif_port_add',
  'dpif_port_del',
  'dpif_flow_flush',
  'dpif_flow_get',
  'dpif_flow_put',
  'dpif_flow_del',
  'bridge_reconfigure',
  'xlate_actions',
  'xlate_actions_oversize',
  'xlate_actions_too_many_output',
];

function coverageFamilies(prefix: string, counters: string[], cov: Map<string, number> | undefined, daemon: string): MetricFamily[] {
  if (!cov) return [];
  return counters.map((c) => ({
    name: `${prefix}_${c}`,
    help: `coverage/show counter ${c === 'packet_in' ? 'flow_extract' : c} of ${daemon}`,
    type: 'gauge' as const,
    // upstream exports packet_in from the flow_extract counter, and 0 for counters the daemon has not hit yet
    samples: [{ value: cov.get(c === 'packet_in' ? 'flow_extract' : c) ?? 0 }],
  }));
}

function fileSize(p: string): number | undefined {
  try {
    return fs.statSync(p).size;
  } catch {
    return undefined;
  }
}

/**
 * One node's OVN/OVS figures, read from its real daemons with the commands ovnkube-node runs
 * (go-controller/pkg/metrics/ovn.go, ovs.go, ovn_northd.go, ovn_db.go). A daemon that does not
 * answer leaves its families out, as the real exporter leaves stale or zero values.
 */
export async function ovnNodeFamilies(ctx: SimContext, node: string): Promise<MetricFamily[]> {
  // the appctl commands go straight to the daemons' unixctl sockets (OvnNode.appctl: same request, same
  // reply text, no process spawned); ovs-ofctl speaks OpenFlow to vswitchd and is run as a command
  const appctl = (program: 'ovn-controller' | 'ovn-northd' | 'ovs-vswitchd', cmd: string): Promise<string | undefined> => {
    let n: ReturnType<typeof getOvnNode>;
    try {
      n = getOvnNode(ctx, node);
    } catch {
      return Promise.resolve(undefined);
    }
    return n.appctl(program, cmd).catch(() => undefined);
  };
  const [agg, conn, northdStatus, ctlCov, vsCov, vsMem] = await Promise.all([
    capture(ctx, node, ['ovs-ofctl', '-t', '5', 'dump-aggregate', 'br-int']),
    appctl('ovn-controller', 'connection-status'),
    appctl('ovn-northd', 'status'),
    appctl('ovn-controller', 'coverage/show'),
    appctl('ovs-vswitchd', 'coverage/show'),
    appctl('ovs-vswitchd', 'memory/show'),
  ]);
  const out: MetricFamily[] = [];
  const fc = agg ? /flow_count=(\d+)/.exec(agg)?.[1] : undefined;
  if (fc !== undefined) {
    out.push({
      name: 'ovn_controller_integration_bridge_openflow_total',
      help: 'The total number of OpenFlow flows in the integration bridge.',
      type: 'gauge',
      samples: [{ value: Number(fc) }],
    });
    out.push({
      name: 'ovs_vswitchd_bridge_flows_total',
      help: 'Represents the number of OpenFlow flows on the OVS bridge.',
      type: 'gauge',
      samples: [{ labels: { bridge: 'br-int' }, value: Number(fc) }],
    });
  }
  out.push({
    name: 'ovn_controller_southbound_database_connected',
    help: 'Specifies if OVN controller is connected to OVN southbound database (1) or not (0)',
    type: 'gauge',
    samples: [{ value: conn?.trim() === 'connected' ? 1 : 0 }],
  });
  // ovn_northd_status: 0 standby, 1 active, 2 paused (ovn_northd.go); a northd that does not answer is left out
  const st = northdStatus ? /Status:\s*(\w+)/.exec(northdStatus)?.[1] : undefined;
  if (st)
    out.push({
      name: 'ovn_northd_status',
      help: 'Specifies whether this instance of ovn-northd is standby(0) or active(1) or paused(2).',
      type: 'gauge',
      samples: [{ value: st === 'active' ? 1 : st === 'paused' ? 2 : 0 }],
    });
  out.push(...coverageFamilies('ovn_controller', OVN_CONTROLLER_COVERAGE, ctlCov ? parseCoverage(ctlCov) : undefined, 'ovn-controller'));
  out.push(...coverageFamilies('ovs_vswitchd', OVS_VSWITCHD_COVERAGE, vsCov ? parseCoverage(vsCov) : undefined, 'ovs-vswitchd'));
  if (vsMem) {
    const mem = parseMemoryShow(vsMem);
    const h = mem.get('handlers');
    const r = mem.get('revalidators');
    if (h !== undefined)
      out.push({
        name: 'ovs_vswitchd_handlers_total',
        help: 'Represents the number of handlers thread.',
        type: 'gauge',
        samples: [{ value: h }],
      });
    if (r !== undefined)
      out.push({
        name: 'ovs_vswitchd_revalidators_total',
        help: 'Represents the number of revalidators thread.',
        type: 'gauge',
        samples: [{ value: r }],
      });
  }
  const dir = `${ctx.workdir}/nodes/${node}`;
  const dbSamples: Sample[] = [];
  for (const [db, file] of [
    ['OVN_Northbound', 'nb.db'],
    ['OVN_Southbound', 'sb.db'],
  ] as const) {
    const size = fileSize(`${dir}/${file}`);
    if (size !== undefined) dbSamples.push({ labels: { db_name: db }, value: size });
  }
  if (dbSamples.length)
    out.push({
      name: 'ovn_db_db_size_bytes',
      help: 'The size of the database file associated with the OVN DB component.',
      type: 'gauge',
      samples: dbSamples,
    });
  return out;
}

/** Node basics for kube-state-metrics: kube_node_status_condition, kube_node_info, kube_pod_status_phase counts per namespace are left to queries. */
export function kubeStateFamilies(ctx: SimContext): MetricFamily[] {
  const cond: Sample[] = [];
  const info: Sample[] = [];
  for (const n of ctx.store.list(GVR.nodes, {}) as KubeObject[]) {
    const status = n.status as { conditions?: { type: string; status: string }[]; nodeInfo?: Record<string, string> } | undefined;
    for (const c of status?.conditions ?? [])
      for (const st of ['true', 'false', 'unknown'])
        cond.push({ labels: { node: n.metadata.name, condition: c.type, status: st }, value: c.status.toLowerCase() === st ? 1 : 0 });
    const ni = status?.nodeInfo ?? {};
    info.push({
      labels: {
        node: n.metadata.name,
        kernel_version: ni.kernelVersion ?? '',
        os_image: ni.osImage ?? '',
        kubelet_version: ni.kubeletVersion ?? '',
        container_runtime_version: ni.containerRuntimeVersion ?? '',
      },
      value: 1,
    });
  }
  const phases = new Map<string, number>();
  for (const p of ctx.store.list(GVR.pods, {}) as KubeObject[]) {
    const ph = (p.status as { phase?: string } | undefined)?.phase ?? 'Pending';
    const k = `${p.metadata.namespace ?? ''}\u0000${ph}`;
    phases.set(k, (phases.get(k) ?? 0) + 1);
  }
  const phaseSamples: Sample[] = [...phases].map(([k, v]) => {
    const [namespace, phase] = k.split('\u0000');
    return { labels: { namespace, phase }, value: v };
  });
  return [
    { name: 'kube_node_status_condition', help: 'The condition of a cluster node.', type: 'gauge', samples: cond },
    { name: 'kube_node_info', help: 'Information about a cluster node.', type: 'gauge', samples: info },
    {
      // kube-state-metrics has one series per pod (kube_pod_status_phase{namespace,pod,phase}); the sim sums per
      // namespace and phase so 2000 pods cost a few series, not 10000
      name: 'kube_pod_status_phase',
      help: 'The pods current phase (summed per namespace and phase: the sim leaves out the pod label).',
      type: 'gauge',
      samples: phaseSamples,
    },
  ];
}

/** kubelet's kubelet_running_pods for one node. */
export function kubeletFamilies(ctx: SimContext, node: string): MetricFamily[] {
  let running = 0;
  for (const p of ctx.store.list(GVR.pods, {}) as KubeObject[]) {
    if ((p.spec as { nodeName?: string } | undefined)?.nodeName !== node) continue;
    if ((p.status as { phase?: string } | undefined)?.phase === 'Running') running++;
  }
  return [
    { name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox', type: 'gauge', samples: [{ value: running }] },
  ];
}
