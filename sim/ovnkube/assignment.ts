/**
 * cluster-manager's EgressIP assignment (go-controller/pkg/clustermanager/egressip_controller.go). Pure.
 *
 * - candidates: nodes labelled k8s.ovn.org/egress-assignable (any value), Ready, reachable, not being deleted,
 *   whose primary subnet (k8s.ovn.org/node-primary-ifaddr) contains the IP;
 * - a still-valid current assignment is kept; otherwise the node with the fewest assigned IPs wins
 *   (ties: name order), never two IPs of one EgressIP on one node;
 * - an IP no candidate subnet contains, or with no candidate at all, stays unassigned (error log + event);
 * - an IP already held by another EgressIP is not assigned again (unless the fault #13 hook says so).
 */
import { nodeAddressing, stripPrefix } from '../topology.ts';
import type { IpStack } from '../types.ts';
import { EGRESS_ASSIGNABLE_LABEL, cidrContains, type EgressIPInfo, type EgressIPStatusItem, type NodeInfo } from './k8s.ts';
import type { MsgId } from './klog.ts';

export interface AssignmentInput {
  eips: EgressIPInfo[];
  nodes: NodeInfo[];
  ipStack: IpStack;
  reachable: (node: string) => boolean;
  /** Fault #13: the allocator forgot which IPs other EgressIPs hold. */
  ignoreOtherEips?: boolean;
  /** Fault #14: nodes that became reachable again but whose retry entry was lost: not used for unassigned IPs. */
  skipNewCandidates?: Set<string>;
}

export interface AssignmentMessage {
  id: MsgId;
  args: unknown[];
  eip: string;
  /** Kubernetes Event reason when the message is also an event */
  reason?: string;
}

export interface AssignmentResult {
  status: Map<string, EgressIPStatusItem[]>;
  messages: AssignmentMessage[];
}

export function isEgressAssignable(n: NodeInfo): boolean {
  return Object.prototype.hasOwnProperty.call(n.labels, EGRESS_ASSIGNABLE_LABEL);
}

/** Primary NIC CIDRs of a node: annotation, else the addressing plan. */
export function primarySubnets(n: NodeInfo, stack: IpStack): string[] {
  const out: string[] = [];
  if (n.primaryIfaddr.ipv4) out.push(n.primaryIfaddr.ipv4);
  if (n.primaryIfaddr.ipv6) out.push(n.primaryIfaddr.ipv6);
  if (out.length === 0 && n.id > 0) {
    const a = nodeAddressing({ name: n.name, id: n.id }, stack);
    if (a.nodeIp.v4) out.push(a.nodeIp.v4);
    if (a.nodeIp.v6) out.push(a.nodeIp.v6);
  }
  return out;
}

function subnetContains(n: NodeInfo, stack: IpStack, ip: string): boolean {
  return primarySubnets(n, stack).some((c) => cidrContains(c, ip) && stripPrefix(c) !== ip);
}

const byCreation = (a: EgressIPInfo, b: EgressIPInfo): number =>
  a.creationTimestamp < b.creationTimestamp ? -1 : a.creationTimestamp > b.creationTimestamp ? 1 : a.name.localeCompare(b.name);

export function assignEgressIPs(input: AssignmentInput): AssignmentResult {
  const { nodes, ipStack } = input;
  const usable = nodes.filter((n) => isEgressAssignable(n) && n.ready && !n.deleting && input.reachable(n.name));
  const eips = [...input.eips].sort(byCreation);
  const owner = new Map<string, string>(); // ip -> eip
  const load = new Map<string, number>(usable.map((n) => [n.name, 0]));
  const status = new Map<string, EgressIPStatusItem[]>();
  const messages: AssignmentMessage[] = [];
  const pending: { eip: EgressIPInfo; ip: string }[] = [];

  // pass 1: keep valid current assignments
  for (const e of eips) {
    const items: EgressIPStatusItem[] = [];
    const wanted = [...new Set(e.egressIPs)];
    for (const ip of wanted) {
      const cur = e.status.find((s) => s.egressIP === ip);
      const node = cur ? usable.find((n) => n.name === cur.node) : undefined;
      const ownedByOther = owner.has(ip) && owner.get(ip) !== e.name && !input.ignoreOtherEips;
      if (cur && node && subnetContains(node, ipStack, ip) && !ownedByOther && !items.some((i) => i.node === node.name)) {
        items.push({ node: node.name, egressIP: ip });
        owner.set(ip, e.name);
        load.set(node.name, (load.get(node.name) ?? 0) + 1);
      } else pending.push({ eip: e, ip });
    }
    status.set(e.name, items);
  }

  // pass 2: assign the rest
  for (const { eip: e, ip } of pending) {
    const items = status.get(e.name) ?? [];
    const other = owner.get(ip);
    if (other !== undefined && other !== e.name && !input.ignoreOtherEips) {
      messages.push({ id: 'alreadyAssigned', args: [ip, e.name, other], eip: e.name, reason: 'EgressIPConflict' });
      continue;
    }
    if (usable.length === 0) {
      messages.push({ id: 'noAssignable', args: [e.name, [ip]], eip: e.name, reason: 'NoMatchingNodeFound' });
      continue;
    }
    const inSubnet = usable.filter((n) => subnetContains(n, ipStack, ip));
    const candidates = inSubnet
      .filter((n) => !items.some((i) => i.node === n.name))
      .filter((n) => !input.skipNewCandidates?.has(n.name))
      .sort((a, b) => (load.get(a.name) ?? 0) - (load.get(b.name) ?? 0) || a.name.localeCompare(b.name));
    if (inSubnet.length === 0) {
      messages.push({ id: 'noMatchingNode', args: [ip, e.name, ip], eip: e.name, reason: 'NoMatchingNodeFound' });
      continue;
    }
    const pick = candidates[0];
    if (!pick) {
      messages.push({ id: 'noAssignable', args: [e.name, [ip]], eip: e.name, reason: 'NoMatchingNodeFound' });
      continue;
    }
    items.push({ node: pick.name, egressIP: ip });
    owner.set(ip, e.name);
    load.set(pick.name, (load.get(pick.name) ?? 0) + 1);
    messages.push({ id: 'assigned', args: [ip, pick.name, e.name], eip: e.name });
    status.set(e.name, items);
  }
  // keep spec order
  for (const e of eips) {
    const items = status.get(e.name) ?? [];
    const order = new Map(e.egressIPs.map((ip, i) => [ip, i]));
    items.sort((a, b) => (order.get(a.egressIP) ?? 0) - (order.get(b.egressIP) ?? 0));
  }
  return { status, messages };
}

export function sameStatus(a: EgressIPStatusItem[], b: EgressIPStatusItem[]): boolean {
  return a.length === b.length && a.every((x, i) => x.node === b[i].node && x.egressIP === b[i].egressIP);
}
