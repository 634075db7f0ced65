/**
 * klog line formatting and the message strings of ovn-kubernetes (quoted from ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go and pkg/clustermanager/egressip_controller.go), so that logs
 * of the emulated ovnkube look like the real ones: `I1121 14:55:02.123456    1234 egressip.go:1234] msg`.
 */

export type KlogSeverity = 'I' | 'W' | 'E' | 'F';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg (UTC). */
export function klogLine(sev: KlogSeverity, file: string, line: number, msg: string, opts: { now?: Date; pid?: number } = {}): string {
  const d = opts.now ?? new Date();
  const micros = pad(d.getUTCMilliseconds(), 3) + '000';
  const ts = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${micros}`;
  const pid = String(opts.pid ?? 1).padStart(7, ' ');
  return `${sev}${ts} ${pid} ${file}:${line}] ${msg}`;
}

/** Go %v / %s / %q / %d formatting for the few verbs the messages use. */
export function goSprintf(fmt: string, ...args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%([vsqd%])/g, (m, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (verb === 'q') return JSON.stringify(String(a));
    if (Array.isArray(a)) return `[${a.map((x) => (typeof x === 'object' ? goStruct(x) : String(x))).join(' ')}]`;
    if (a !== null && typeof a === 'object') return goStruct(a);
    return String(a);
  });
}

function goStruct(o: unknown): string {
  if (o === null || typeof o !== 'object') return String(o);
  return `{${Object.values(o as Record<string, unknown>)
    .map((v) => String(v))
    .join(' ')}}`;
}

/** Message formats (file, line, format) from egressip.go and clustermanager/egressip_controller.go. */
export const MSG = {
  staleSnatLogicalIp: { file: 'egressip.go', line: 1647, sev: 'I', fmt: 'syncStaleSNATRules will delete %s due to logical ip: %v' },
  staleSnatNoNode: { file: 'egressip.go', line: 1667, sev: 'I', fmt: 'syncStaleSNATRules found NAT %q without EIP assigned to a Node' },
  staleSnatPort: { file: 'egressip.go', line: 1672, sev: 'I', fmt: 'syncStaleSNATRules found NAT %q with invalid logical port' },
  staleLrp: {
    file: 'egressip.go',
    line: 1512,
    sev: 'I',
    fmt: 'syncStaleEgressReroutePolicy will delete %s due to no nexthop or stale logical ip: %v',
  },
  staleLrpNexthops: {
    file: 'egressip.go',
    line: 1530,
    sev: 'I',
    fmt: 'syncStaleEgressReroutePolicy will remove stale nexthops for LRP %q: %v',
  },
  staleLrpNoNodes: {
    file: 'egressip.go',
    line: 1498,
    sev: 'I',
    fmt: 'Deleting invalid logical router policy %s because there are no existing nodes assigned to its EgressIP %s',
  },
  staleAddrSet: { file: 'egressip.go', line: 1590, sev: 'I', fmt: 'syncStaleAddressSetIPs will remove stale IPs %v from address set %s' },
  callerNoNexthop: {
    file: 'egressip.go',
    line: 2270,
    sev: 'W',
    fmt: 'Caller failed to pass next hop for EgressIP %s and IP %s. Deleting all LRPs. This will break HA momentarily',
  },
  addPodStatus: { file: 'egressip.go', line: 1105, sev: 'I', fmt: 'Adding pod egress IP status: %v for EgressIP: %s and pod: %s/%s/%v' },
  deletePodStatus: { file: 'egressip.go', line: 1180, sev: 'I', fmt: 'Deleting pod egress IP status: %v for EgressIP: %s and pod: %s/%s' },
  standby: { file: 'egressip.go', line: 1001, sev: 'I', fmt: 'Pod %s/%s is already managed by EgressIP %s, adding EgressIP %s to standby' },
  multipleResults: {
    file: 'egressip.go',
    line: 2380,
    sev: 'E',
    fmt: 'Failed to delete SNAT rule for pod on gateway router %s: failed to delete NAT: unexpectedly found multiple results for provided predicate',
  },
  legacyMigrated: { file: 'nat_sync.go', line: 120, sev: 'I', fmt: 'Migrated %d legacy EgressIP NATs to the current external_ids format' },
  legacyUnknown: {
    file: 'nat_sync.go',
    line: 148,
    sev: 'W',
    fmt: 'Unable to find pod for legacy EgressIP NAT with logical IP %s: marking it UNKNOWN',
  },
  unreachable: {
    file: 'egressip_controller.go',
    line: 1820,
    sev: 'I',
    fmt: 'Node: %s is detected as unreachable, deleting it from egress assignment',
  },
  failedReachability: { file: 'egressip_healthcheck.go', line: 172, sev: 'I', fmt: 'Failed reachability check for %s' },
  notReady: { file: 'egressip_controller.go', line: 1010, sev: 'I', fmt: 'Node: %s is not ready, deleting it from egress assignment' },
  nodeReady: {
    file: 'egressip_controller.go',
    line: 1030,
    sev: 'I',
    fmt: 'Node: %s is ready and reachable, adding it for egress assignment',
  },
  noMatchingNode: {
    file: 'egressip_controller.go',
    line: 1461,
    sev: 'E',
    fmt: 'Egress IP: %v for object EgressIP: %s is not assignable: no matching node: egress IP %s does not match any egress-assignable node subnet',
  },
  noAssignable: {
    file: 'egressip_controller.go',
    line: 1438,
    sev: 'E',
    fmt: 'No assignable nodes found for EgressIP: %s and requested IPs: %v',
  },
  alreadyAssigned: {
    file: 'egressip_controller.go',
    line: 1415,
    sev: 'E',
    fmt: 'Egress IP: %s for object EgressIP: %s is already assigned to EgressIP: %s',
  },
  assigned: {
    file: 'egressip_controller.go',
    line: 1500,
    sev: 'I',
    fmt: 'Successful assignment of egress IP: %s to node: %s for EgressIP: %s',
  },
  statusPatched: { file: 'egressip_controller.go', line: 1210, sev: 'I', fmt: 'Patching status on EgressIP %s: %v' },
  syncStart: { file: 'egressip.go', line: 1420, sev: 'I', fmt: 'Starting syncEgressIPs for network %s' },
  syncDone: { file: 'egressip.go', line: 1455, sev: 'I', fmt: 'Finished syncEgressIPs for network %s: took %v' },
  controllerStart: { file: 'ovnkube.go', line: 380, sev: 'I', fmt: 'Starting ovnkube-controller in zone %s' },
  controllerStop: { file: 'ovnkube.go', line: 410, sev: 'I', fmt: 'Stopping ovnkube-controller in zone %s' },
  topologyDone: { file: 'master.go', line: 320, sev: 'I', fmt: 'Gateway and management port for node %s created, topology version 11' },
  cmStart: { file: 'clustermanager.go', line: 150, sev: 'I', fmt: 'Starting the cluster manager' },
} as const satisfies Record<string, { file: string; line: number; sev: KlogSeverity; fmt: string }>;

export type MsgId = keyof typeof MSG;

export function klogMsg(id: MsgId, args: unknown[], opts: { now?: Date; pid?: number } = {}): string {
  const m = MSG[id];
  return klogLine(m.sev, m.file, m.line, goSprintf(m.fmt, ...args), opts);
}
