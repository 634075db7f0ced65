/**
 * The reference agent's playbook: what an experienced on-call engineer checks, in order, using only the
 * MCP tools. It reads the question for scope (which node, namespace, whether it is about time sync), surveys
 * the cluster, and turns the first conclusive observation into an answer. Every conclusion comes from a tool
 * result; nothing here knows a case, a fault id or the fault library.
 */
import type { RcaAnswer } from '../types.ts';
import type { Tools } from './mcp.ts';
import { sleep } from '../../../harness/wait/poll.ts';

export interface Scope {
  nodes: string[];
  namespaces: string[];
  ptp: boolean;
  egress: boolean;
}

type Diagnosis = Omit<RcaAnswer, 'confidence'> & { evidence: string };

const healthy = (evidence: string): Diagnosis => ({
  detected: false,
  category: 'healthy',
  entities: [],
  mechanism: `Nothing is wrong: ${evidence}. The cluster behaves as configured.`,
  remediation: 'Nothing to fix.',
  evidence,
});

const words = (q: string): Set<string> => new Set(q.toLowerCase().match(/[a-z0-9][a-z0-9.-]*[a-z0-9]/g) ?? []);

/** Scope of the question: the nodes and namespaces it names (from the cluster's own lists). */
export async function readScope(t: Tools, question: string): Promise<Scope & { nodeLines: string[] }> {
  const w = words(question);
  const nodeOut = await t.call('k8s_list', { kind: 'Node' });
  const nodeLines = nodeOut.text.split('\n').filter((l) => /Ready=/.test(l));
  const nodes = nodeLines.map((l) => l.trim().split(/\s+/)[0]!).filter((n) => w.has(n));
  const nsOut = await t.call('k8s_list', { kind: 'Namespace' });
  const namespaces = nsOut.text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n && w.has(n));
  return {
    nodes,
    namespaces,
    nodeLines,
    ptp: /\b(ptp|clocks?|time[- ]sync\w*|time source|timing|synchroni[sz]\w*|grandmaster|phc|offsets?)\b/i.test(question),
    egress: /egress|source ip|source address|leave the cluster/i.test(question) || namespaces.length > 0,
  };
}

// ---------------------------------------------------------------- Kubernetes level

/** The restartCount lines of a pod's YAML, in order: they change only when a container restarted. */
function restartCounts(yaml: string): string {
  return (yaml.match(/restartCount: \d+/g) ?? []).join(',');
}

async function k8sLevel(t: Tools, s: Scope, nodeLines: string[]): Promise<Diagnosis | undefined> {
  const down = nodeLines.filter((l) => /Ready=(False|Unknown)/.test(l)).map((l) => l.trim().split(/\s+/)[0]!);
  if (down.length) {
    const node = down.find((n) => s.nodes.includes(n)) ?? down[0]!;
    const ev = await t.call('k8s_events', { involved_kind: 'Node', involved_name: node });
    const kubelet = /kubelet|NodeNotReady|stopped posting/i.test(ev.text);
    return {
      detected: true,
      category: 'k8s/node-down',
      entities: [node],
      mechanism: `Node ${node} is NotReady: its kubelet stopped posting node status${kubelet ? ' (NodeNotReady events)' : ''}, so the node is down for the control plane and nothing new is scheduled or programmed there.`,
      remediation: `Bring the kubelet on ${node} back (start/restart the kubelet service, or reboot the node) until the node is Ready again.`,
      evidence: `node ${node} NotReady`,
    };
  }
  const pods = await t.call('k8s_list', { kind: 'Pod', namespace: 'openshift-ovn-kubernetes' });
  for (const line of pods.text.split('\n')) {
    const m = /^(\S+)\/(ovnkube-node-\S+)\s.*node=(\S+).*ready=(\d+)\/(\d+)\s+restarts=(\d+)/.exec(line.trim());
    if (!m || (m[4] === m[5] && m[6] === '0')) continue;
    const [, ns, pod, node] = m;
    const look = () => t.call('k8s_get', { kind: 'Pod', namespace: ns, name: pod, grep: 'CrashLoopBackOff|reason|restartCount' });
    const first = await look();
    let backOff = /CrashLoopBackOff/.test(first.text);
    let restarting = false;
    // Between two back-offs a crash-looping container is Running again for a moment (kubectl shows CrashLoopBackOff
    // only while it waits): a pod with a failed last exit is looked at again shortly, as one would watch it; a loop
    // shows the back-off or a higher restart count, a pod that crashed once and has been up since shows neither.
    if (!backOff && /reason: Error/.test(first.text))
      for (const ms of [1000, 2000]) {
        await sleep(ms);
        const again = await look();
        backOff = /CrashLoopBackOff/.test(again.text);
        restarting = restartCounts(again.text) !== restartCounts(first.text);
        if (backOff || restarting) break;
      }
    if (!backOff && !restarting) continue;
    const logs = await t.call('k8s_pod_logs', { namespace: ns!, name: pod!, container: 'ovnkube-controller', previous: true, tail: 50 });
    const panic = /panic:[^\n]*/.exec(logs.text)?.[0];
    const state = backOff
      ? 'is in CrashLoopBackOff: it keeps restarting'
      : 'is crash-looping: it keeps restarting (its restart count grew within seconds, the last exit in Error)';
    return {
      detected: true,
      category: 'k8s/crash-loop',
      entities: [node!, pod!, 'ovnkube-controller'],
      mechanism: `The ovnkube-controller container of ${pod} on node ${node} ${state}${panic ? ` and crashes at start (${panic.slice(0, 120)})` : ''}, so nothing is reconciled in that node's zone.`,
      remediation: `Fix what makes ovnkube-controller crash on ${node} (the panic in its log; an ovn-kubernetes fix or upgrade), then restart the ovnkube-node pod ${pod} (delete it) so the controller starts and syncs.`,
      evidence: `${pod} ${backOff ? 'CrashLoopBackOff' : 'restart count growing'}`,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- EgressIP

interface CheckFinding {
  kind: string;
  labels?: { egressip?: string; namespace?: string; pod?: string };
  node?: string;
  subject?: string;
  message?: string;
  expected?: unknown;
  actual?: unknown;
}

const routerOf = (node: string) => `GR_${node}`;

async function egressLevel(t: Tools, s: Scope): Promise<Diagnosis | undefined> {
  const out = await t.call('egressip_consistency_check', { format: 'json' });
  let findings: CheckFinding[] = [];
  try {
    findings = (JSON.parse(out.text) as { findings?: CheckFinding[] }).findings ?? [];
  } catch {
    findings = [];
  }
  const status = await t.call('egressip_status', {});
  const first = (k: string) => findings.find((f) => f.kind === k);
  const eipNames = [...status.text.matchAll(/^EgressIP (\S+)/gm)].map((m) => m[1]!);
  const eipOf = (f: CheckFinding) => f.labels?.egressip ?? eipNames.find((n) => `${f.subject ?? ''} ${f.message ?? ''}`.includes(n));
  const ipIn = (f: CheckFinding) => /\b\d+\.\d+\.\d+\.\d+\b/.exec(`${f.subject ?? ''} ${f.message ?? ''}`)?.[0];
  /** the pod a finding is about, as namespace/name and its IP (expected "<egress IP> -> <pod IP> on ...") */
  const podOf = (f: CheckFinding): string[] => [
    ...(f.labels?.pod ? [`${f.labels.namespace ? `${f.labels.namespace}/` : ''}${f.labels.pod}`] : []),
    ...(/->\s*([0-9a-f.:]+)/.exec(String(f.expected ?? ''))?.slice(1, 2) ?? []),
  ];

  const dup = first('duplicate-snat');
  if (dup) {
    const node = dup.node ?? '';
    const eip = eipOf(dup);
    return {
      detected: true,
      category: 'ovnkube/duplicate-entry',
      entities: [node, ...(eip ? [eip] : [])],
      mechanism: `On ${routerOf(node)} (egress node ${node}) there are duplicate SNAT rows: two identical EgressIP SNATs per pod. ovnkube-controller created them twice when the pods were added (a known ovnkube bug), so later deletes find multiple rows and fail.`,
      remediation: `Restart ovnkube-controller on ${node} (delete its ovnkube-node pod): its startup sync removes the duplicates; take the upstream ovn-kubernetes fix (upgrade).`,
      evidence: `duplicate-snat on ${node}`,
    };
  }
  const twice = first('eip-assigned-twice');
  if (twice) {
    const ip = ipIn(twice) ?? '';
    const holders = eipNames.filter((n) => status.text.split(/^EgressIP /m).some((b) => b.startsWith(`${n} `) && ip && b.includes(ip)));
    return {
      detected: true,
      category: 'ovnkube/assignment',
      entities: [ip, ...holders],
      mechanism: `The egress IP ${ip} is assigned twice: two EgressIP objects (${holders.join(', ')}) both hold it in status.items. cluster-manager assigned the same IP to both (its allocator did not know the IP was taken), so the egress node SNATs pods of both to the same IP.`,
      remediation: `Delete or change the younger EgressIP so each IP belongs to one EgressIP only, and restart ovnkube-cluster-manager so it re-reconciles the assignments (take the ovn-kubernetes fix).`,
      evidence: `eip-assigned-twice ${ip}`,
    };
  }
  const unassigned = first('unassigned-eip');
  if (unassigned) {
    const labelled = (await t.call('k8s_list', { kind: 'Node', label_selector: 'k8s.ovn.org/egress-assignable' })).text;
    const none = !/Ready=/.test(labelled);
    const eip = eipOf(unassigned);
    if (none)
      return {
        detected: true,
        category: 'k8s/misconfiguration',
        entities: [...(eip ? [eip] : []), 'k8s.ovn.org/egress-assignable'],
        mechanism: `No node carries the label k8s.ovn.org/egress-assignable any more (the label was removed from the egress nodes), so cluster-manager has no node to assign the EgressIP to: it is unassigned and the pods leave with their node IP instead of the egress IP.`,
        remediation: `Label the egress nodes again: kubectl label node <node> k8s.ovn.org/egress-assignable="" ; the EgressIP is then assigned.`,
        evidence: 'unassigned, no egress-assignable node',
      };
  }
  const wrongIp = first('wrong-snat-ip');
  if (wrongIp) {
    const node = wrongIp.node ?? '';
    return {
      detected: true,
      category: 'ovn/wrong-entry',
      entities: [node, ...(eipOf(wrongIp) ? [eipOf(wrongIp)!] : [])],
      mechanism: `An EgressIP SNAT on ${routerOf(node)} (node ${node}) has the wrong external IP: the NB NAT row was edited by hand (out of band), ovnkube did not write it that way, so the pod is SNATed to an address that is not its egress IP.`,
      remediation: `Restore the row: restart ovnkube-controller on ${node} (delete its ovnkube-node pod) so its sync rewrites the SNAT, or fix the external_ip with ovn-nbctl.`,
      evidence: `wrong-snat-ip on ${node}`,
    };
  }
  const missing = first('missing-snat') ?? first('missing-lrp') ?? first('missing-no-reroute');
  if (missing) {
    const node = missing.node ?? '';
    const logs = await ovnkubeLogs(t, node, 'delet|remov');
    // only a removal the controller logged for this kind of row (and this pod, when known) counts: an EgressIP
    // that failed over earlier leaves removal lines about other rows in the same log
    const rowRe =
      missing.kind === 'missing-snat'
        ? /\bs?nat\b/i
        : missing.kind === 'missing-lrp'
          ? /router polic|\blrps?\b|reroute/i
          : /no-reroute|\b102\b/i;
    const pods = podOf(missing).map((p) => p.split('/').at(-1)!);
    const byController = logs
      .split('\n')
      .some((l) => /Deleting|removed|remove stale/i.test(l) && rowRe.test(l) && (!pods.length || pods.some((p) => l.includes(p))));
    const what =
      missing.kind === 'missing-snat'
        ? `an EgressIP SNAT row is missing from ${routerOf(node)} in node ${node}'s NB`
        : missing.kind === 'missing-lrp'
          ? `the priority-100 reroute policy (logical router policy) of a served pod is missing from ovn_cluster_router in node ${node}'s NB`
          : `the priority-102 no-reroute policies are missing from ovn_cluster_router in node ${node}'s NB`;
    const pod = podOf(missing);
    const rowKind =
      missing.kind === 'missing-snat' ? 'SNAT row' : missing.kind === 'missing-lrp' ? 'reroute policy' : 'no-reroute policies';
    return {
      detected: true,
      category: byController ? 'ovnkube/missing-entry' : 'ovn/missing-entry',
      entities: [node, ...pod],
      mechanism: `The row is missing: ${what}${pod.length ? ` (for pod ${pod.join(', ')})` : ''}. ovnkube-controller ${byController ? 'removed it' : 'logged no removal and still expects it: it was deleted by hand (out of band, e.g. with ovn-nbctl)'}, and nothing recreates it until an event or a restart.`,
      remediation: `Restart ovnkube-controller on ${node} (delete its ovnkube-node pod) so its startup sync recreates the missing ${rowKind} (or re-add the ${rowKind} with ovn-nbctl exactly as ovnkube writes it).`,
      evidence: `${missing.kind} on ${node}`,
    };
  }
  if (s.egress && !findings.length)
    return healthy(
      `the EgressIP rules are consistent (${out.text.includes('CONSISTENT') ? 'check CONSISTENT' : 'no finding'}) and every EgressIP is assigned`,
    );
  return undefined;
}

async function ovnkubeLogs(t: Tools, node: string, grep: string): Promise<string> {
  const pods = await t.call('k8s_list', {
    kind: 'Pod',
    namespace: 'openshift-ovn-kubernetes',
    field_selector: `spec.nodeName=${node}`,
    label_selector: 'app=ovnkube-node',
  });
  const pod = /openshift-ovn-kubernetes\/(ovnkube-node-\S+)/.exec(pods.text)?.[1];
  if (!pod) return '';
  const logs = await t.call('k8s_pod_logs', {
    namespace: 'openshift-ovn-kubernetes',
    name: pod,
    container: 'ovnkube-controller',
    grep,
    since_seconds: 600,
  });
  return logs.isError ? '' : logs.text;
}

// ---------------------------------------------------------------- one node: OVN, OVS, kernel

const recordValues = (text: string, column: string): string[] =>
  [...text.matchAll(new RegExp(`^${column}\\s*:\\s*"?([^"\\n]+?)"?\\s*$`, 'gm'))].map((m) => m[1]!);

/** The "N record(s) in <table>" line of an ovn_db_list result. */
const recordCount = (text: string): number | undefined => {
  const m = /^(\d+) record\(s\) in /m.exec(text);
  return m ? Number(m[1]) : undefined;
};

/** calls kept for what may follow a survey of the SB against the NB: re-reading its candidates, the answer */
const CALLS_AFTER_PAGING = 8;

/**
 * One column of every row of an ovn_db_list select, page after page: the tool returns what fits its output budget
 * and ends a cut page with "[showing records A-B of N; ... pass ... offset=B ...]", so the next page starts at
 * offset B. Undefined when a page fails, makes no progress, or the tool-call budget would not reach the last page:
 * a partial list proves no absence.
 */
async function listAll(t: Tools, args: Record<string, unknown>, column: string): Promise<string[] | undefined> {
  const values: string[] = [];
  for (let offset = 0; ;) {
    const page = await t.call('ovn_db_list', offset ? { ...args, offset } : args);
    if (page.isError) return undefined;
    values.push(...recordValues(page.text, column));
    const shown = [...page.text.matchAll(/\[showing records (\d+)-(\d+) of (\d+)/g)].at(-1);
    if (!shown) return values; // the whole select fit one page
    const last = Number(shown[2]);
    if (last >= Number(shown[3])) return values;
    if (last <= offset || t.left <= CALLS_AFTER_PAGING) return undefined;
    offset = last;
  }
}

/** How many rows of `table` have `column` = `name` (undefined when the call fails). */
async function rowsNamed(
  t: Tools,
  node: string,
  db: 'nb' | 'sb',
  table: string,
  column: string,
  name: string,
): Promise<number | undefined> {
  const r = await t.call('ovn_db_list', { node, db, table, conditions: [`${column}=${JSON.stringify(name)}`], columns: [column] });
  return r.isError ? undefined : recordCount(r.text);
}

/** a name ovn_db_list's find conditions take as one quoted string (its condition syntax allows these characters) */
const conditionSafe = (name: string): boolean => /^[A-Za-z0-9_.:/@-]{1,200}$/.test(name);

/**
 * The NB logical switch ports of the node's zone that have no Port_Binding in its SB, over both whole tables (all
 * pages: the two tables are not in the same order, so their first pages hold different ports on a large node).
 * A port missing from a list read page by page may be one that moved between two pages (a row added or removed
 * before it shifts the rest), or one deleted from the NB while it was read: the first candidates are read again
 * by name, and only those still in the NB and still unbound count. Undefined when the tables cannot be read whole.
 */
async function portsNotBound(t: Tools, node: string): Promise<string[] | undefined> {
  const nb = await listAll(t, { node, db: 'nb', table: 'Logical_Switch_Port', columns: ['name'] }, 'name');
  if (!nb) return undefined;
  const sb = await listAll(t, { node, db: 'sb', table: 'Port_Binding', columns: ['logical_port'] }, 'logical_port');
  if (!sb) return undefined;
  const bound = new Set(sb);
  const candidates = nb.filter((n) => !bound.has(n));
  if (!candidates.length) return [];
  const confirmed: string[] = [];
  for (const name of candidates.slice(0, 3)) {
    if (!conditionSafe(name)) {
      confirmed.push(name);
      continue;
    }
    if ((await rowsNamed(t, node, 'sb', 'Port_Binding', 'logical_port', name)) !== 0) continue;
    if (((await rowsNamed(t, node, 'nb', 'Logical_Switch_Port', 'name', name)) ?? 0) > 0) confirmed.push(name);
  }
  // every candidate read again was bound after all (or gone from the NB): the lists had moved, nothing is unbound
  return confirmed.length ? [...confirmed, ...candidates.slice(3)] : [];
}

async function nodeLevel(t: Tools, node: string): Promise<Diagnosis | undefined> {
  const ct = await t.call('ovn_ct_zone_list', { node });
  if (ct.isError && /pidfile|cannot connect|No such file|not running|failed to connect/i.test(ct.text))
    return {
      detected: true,
      category: 'ovn/process-down',
      entities: [node, 'ovn-controller'],
      mechanism: `ovn-controller is not running on node ${node}: its control socket / pidfile is gone (ovn-appctl -t ovn-controller cannot reach it), so the node's OpenFlow flows are no longer updated from the SB and new ports are not bound.`,
      remediation: `Start ovn-controller on ${node} again: restart the ovnkube-node pod of ${node} (delete it) or its ovn-controller container.`,
      evidence: 'ovn-controller unreachable',
    };
  const flows = await t.call('ovs_ofctl_dump_flows', { node, bridge: 'br-int', grep: 'table=0,' });
  if (flows.isError && /not a bridge or a socket|connection refused|failed to connect|No such file/i.test(flows.text))
    return {
      detected: true,
      category: 'ovs/process-down',
      entities: [node, 'ovs-vswitchd'],
      mechanism: `ovs-vswitchd is not running on node ${node}: ovs-ofctl cannot reach br-int (no management socket), so no OpenFlow rules are served and the datapath is not forwarding for that node.`,
      remediation: `Start ovs-vswitchd on ${node} again (systemctl restart openvswitch / ovs-vswitchd on the node, or restart the ovnkube-node pod of ${node}), then check the flows are back.`,
      evidence: 'ovs-vswitchd unreachable',
    };
  const route = await t.call('kernel_ip_route', { node });
  const addr = await t.call('kernel_ip_addr', { node, grep: 'br-ex' });
  const brDown = /br-ex: <(?![^>]*\bUP\b)[^>]*>/.test(addr.text) || /br-ex:.*state DOWN/.test(addr.text);
  if (brDown)
    return {
      detected: true,
      category: 'kernel/link-down',
      entities: [node, 'br-ex'],
      mechanism: `The br-ex interface on node ${node} is down (link state DOWN, no UP flag), so the node lost its external link and the routes through br-ex (the default route) are gone.`,
      remediation: `Bring the link up again on ${node}: ip link set br-ex up, and restore the default route through br-ex if it did not come back.`,
      evidence: 'br-ex down',
    };
  const hole = /^(blackhole|unreachable|prohibit)\s+(\S+)/m.exec(route.text);
  if (!route.isError && hole)
    return {
      detected: true,
      category: 'kernel/wrong-entry',
      entities: [node, hole[2]!],
      mechanism: `The routing table of node ${node} has a ${hole[1]} route for ${hole[2]}: the kernel drops (discards) traffic to that network instead of forwarding it through the default route, unlike the other nodes.`,
      remediation: `Delete the ${hole[1]} route on ${node}: ip route del ${hole[1]} ${hole[2]} (and remove whatever configuration added it).`,
      evidence: `${hole[1]} route ${hole[2]}`,
    };
  if (!route.isError && !/^default via/m.test(route.text))
    return {
      detected: true,
      category: 'kernel/missing-entry',
      entities: [node, 'default route'],
      mechanism: `The kernel routing table of node ${node} has no default route (ip route shows no "default via"): it was deleted, so traffic from the node to anything outside its subnet has no route.`,
      remediation: `Re-add the default route on ${node} (ip route add default via <gateway> dev br-ex, the gateway of the other nodes), or restart NetworkManager / reboot the node so it is restored.`,
      evidence: 'no default route',
    };
  const lsps = await t.call('ovn_lsp_list', { node, switch: node });
  if (!lsps.isError && !lsps.text.includes(`(k8s-${node})`))
    return {
      detected: true,
      category: 'ovn/missing-entry',
      entities: [node, `k8s-${node}`],
      mechanism: `The logical switch port k8s-${node} (the node's management port) is missing from logical switch ${node} in the NB: it was deleted by hand (out of band); ovnkube does not recreate it until it restarts, so host-to-pod traffic on ${node} breaks.`,
      remediation: `Restart ovnkube-controller on ${node} (delete its ovnkube-node pod): its startup sync recreates the management port k8s-${node}.`,
      evidence: 'management LSP missing',
    };
  const unbound = await portsNotBound(t, node);
  if (unbound?.length)
    return {
      detected: true,
      category: 'ovn/process-down',
      entities: [node, 'ovn-northd'],
      mechanism: `ovn-northd of node ${node}'s zone is not running: logical switch ports in the NB (${unbound.slice(0, 3).join(', ')}) have no Port_Binding in the SB, so NB changes no longer reach the SB (no new logical flows or port bindings are computed).`,
      remediation: `Start ovn-northd again: restart the ovnkube-node pod of ${node} (delete it), then verify the SB follows the NB.`,
      evidence: `${unbound.length} NB ports not in SB`,
    };
  return undefined;
}

// ---------------------------------------------------------------- PTP

/** The largest `[seconds]` stamp (ptp4l/phc2sys print CLOCK_MONOTONIC) of the lines `re` matches (group 1), if any. */
function lastStamp(text: string, re: RegExp): number | undefined {
  let last: number | undefined;
  for (const m of text.matchAll(re)) last = Math.max(last ?? -Infinity, Number(m[1]));
  return last;
}

interface PtpNode {
  node: string;
  block: string;
}

async function ptpLevel(t: Tools): Promise<Diagnosis | undefined> {
  const st = await t.call('ptp_status', {});
  if (/no linuxptp-daemon pods/.test(st.text)) return undefined;
  const blocks: PtpNode[] = st.text
    .split(/^(?=linuxptp-daemon-)/m)
    .map((b) => ({ node: /node=(\S+)/.exec(b)?.[1] ?? '', block: b }))
    .filter((b) => b.node);
  for (const b of blocks) {
    const down = /(ptp4l|phc2sys|ts2phc)\([^)]*\) DOWN/.exec(b.block);
    if (down) {
      const proc = down[1]!;
      return {
        detected: true,
        category: 'ptp/process-down',
        entities: [b.node, proc],
        mechanism: `${proc} is not running on node ${b.node} (process status DOWN) and linuxptp-daemon did not restart it, so that node's clock is no longer disciplined${proc === 'ptp4l' ? ' (the PTP port is gone, clock FREERUN)' : ' (CLOCK_REALTIME is not steered from the PHC)'}.`,
        remediation: `Restart ${proc} on ${b.node}: delete the linuxptp-daemon pod of ${b.node} so the daemon recreates its processes (and take the linuxptp-daemon fix that restarts killed processes).`,
        evidence: `${proc} DOWN on ${b.node}`,
      };
    }
  }
  for (const b of blocks) {
    const faulty = /ptp4l (\S+)=FAULTY/.exec(b.block);
    if (faulty) {
      const iface = faulty[1]!;
      return {
        detected: true,
        category: 'ptp/link-down',
        entities: [b.node, iface],
        mechanism: `The PTP slave port ${iface} on node ${b.node} is FAULTY: its link is down (ptp4l logs link down, SLAVE to FAULTY), so the node lost its time source and its clock is in holdover / free-run.`,
        remediation: `Bring the link of ${iface} on ${b.node} up again (ip link set ${iface} up; check the cable / transceiver / switch port), then the port re-locks.`,
        evidence: `${iface} FAULTY on ${b.node}`,
      };
    }
  }
  const listening = blocks.filter((b) => /ptp4l \S+=LISTENING/.test(b.block) && /=(FREERUN|HOLDOVER)/.test(b.block));
  if (blocks.length && listening.length === blocks.length)
    return {
      detected: true,
      category: 'ptp/clock-loss',
      entities: ['grandmaster'],
      mechanism: `Every PTP node lost the grandmaster: the slave ports went from SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES (no more Announce messages) and the clocks are in holdover / FREERUN, so the grandmaster stopped announcing.`,
      remediation: 'Restore the grandmaster (its power, GNSS, PTP service or the network path to it); the ports then re-lock to it.',
      evidence: 'all ports LISTENING',
    };
  const first = blocks[0];
  if (first) {
    const parent = await t.call('ptp_pmc', { node: first.node, dataset: 'PARENT_DATA_SET' });
    const cls = /gm\.ClockClass\s+(\d+)/.exec(parent.text)?.[1];
    if (cls && cls !== '6')
      return {
        detected: true,
        category: 'ptp/clock-loss',
        entities: ['grandmaster'],
        mechanism: `The grandmaster announces a degraded clock class ${cls} (PARENT_DATA_SET gm.ClockClass ${cls}, not 6): it lost its own reference (GNSS) and is in holdover, and the followers still track it.`,
        remediation:
          "Restore the grandmaster's reference (GNSS antenna / receiver) so it announces clock class 6 again, or fail over to another grandmaster.",
        evidence: `gm clock class ${cls}`,
      };
  }
  // Clockcheck warnings stay in a log after their cause is gone (a node that was fixed minutes ago): the node whose
  // last warning is the most recent, against its own log's latest line, is the one that still has the problem.
  const warned: { node: string; kind: 'ptp4l' | 'phc2sys'; age: number }[] = [];
  for (const b of blocks) {
    const logs = await t.call('ptp_daemon_logs', { node: b.node, tail_lines: 400, grep: 'clockcheck' });
    // ptp4l's own clockcheck: the daemon is starved (it disturbs ptp4l and phc2sys); phc2sys alone: a second CLOCK_REALTIME writer
    const ptp4l = lastStamp(logs.text, /^ptp4l\[(\d+(?:\.\d+)?)\][^\n]*clock jumped backward or running slower/gm);
    const phc2sys = lastStamp(logs.text, /^phc2sys\[(\d+(?:\.\d+)?)\][^\n]*clock frequency changed unexpectedly/gm);
    if (ptp4l === undefined && phc2sys === undefined) continue;
    const now = lastStamp((await t.call('ptp_daemon_logs', { node: b.node, tail_lines: 50 })).text, /^\w+\[(\d+(?:\.\d+)?)\]/gm);
    const age = (at: number): number => (now === undefined ? 0 : Math.max(0, now - at));
    if (ptp4l !== undefined) warned.push({ node: b.node, kind: 'ptp4l', age: age(ptp4l) });
    else if (phc2sys !== undefined) warned.push({ node: b.node, kind: 'phc2sys', age: age(phc2sys) });
  }
  const w = warned.sort((a, b) => a.age - b.age)[0];
  if (w?.kind === 'ptp4l')
    return {
      detected: true,
      category: 'ptp/clock-offset',
      entities: [w.node, 'ptp4l'],
      mechanism: `ptp4l on node ${w.node} reports clock offsets out of range and "clockcheck: clock jumped backward or running slower than expected": the daemon is starved of CPU (CPU contention / stress on the node), so servo updates are late and the offset jitters beyond the threshold.`,
      remediation: `Remove the CPU contention on ${w.node} (stop the load, give linuxptp-daemon reserved / isolated CPUs and real-time priority); the offset settles.`,
      evidence: `ptp4l clockcheck on ${w.node}`,
    };
  if (w?.kind === 'phc2sys')
    return {
      detected: true,
      category: 'ptp/misconfiguration',
      entities: [w.node, 'chronyd'],
      mechanism: `On node ${w.node} a second writer steers CLOCK_REALTIME next to phc2sys: phc2sys logs "clockcheck: clock frequency changed unexpectedly" and offset bursts; chronyd is running and fights phc2sys because it was not disabled.`,
      remediation: `Disable chronyd on ${w.node} (a MachineConfig that stops and disables chronyd on PTP nodes), so only phc2sys sets the system clock.`,
      evidence: `phc2sys clockcheck on ${w.node}`,
    };
  return healthy(
    'every PTP node is LOCKED with its processes up, the ports SLAVE and offsets in range, and the grandmaster announces class 6',
  );
}

/** The playbook: survey in order, first conclusive observation wins. */
export async function diagnose(t: Tools, question: string): Promise<Diagnosis> {
  const s = await readScope(t, question);
  const k = await k8sLevel(t, s, s.nodeLines);
  if (k) return k;
  if (s.ptp && !s.egress) {
    const p = await ptpLevel(t);
    if (p) return p;
  }
  if (s.egress) {
    const e = await egressLevel(t, s);
    if (e) return e;
  }
  for (const node of s.nodes) {
    const n = await nodeLevel(t, node);
    if (n) return n;
  }
  return healthy(
    s.nodes.length
      ? `on ${s.nodes.join(', ')} ovn-controller, ovs-vswitchd, the routes, links, the management port and the SB port bindings are all in place`
      : 'no node, pod or rule shows a problem',
  );
}
