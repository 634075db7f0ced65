/**
 * Kernel tools: the node's Linux networking as seen from the host-network ovnkube-node pod
 * (routes, addresses, policy rules, neighbours, nftables / iptables, kernel conntrack).
 * A binary may be missing on a target; the tool then says so instead of failing obscurely.
 */
import * as z from 'zod';
import { nodeTextTool, type AnyTool } from '../registry.ts';
import { nodeArg, outputShape } from '../validate.ts';

const C = 'ovnkube-controller';
const family = () => z.enum(['ipv4', 'ipv6', 'all']).default('all').describe('Address family filter.');
const famFlag = (f: 'ipv4' | 'ipv6' | 'all') => (f === 'ipv4' ? ['-4'] : f === 'ipv6' ? ['-6'] : []);

const ipRoute = nodeTextTool({
  name: 'kernel_ip_route',
  toolset: 'kernel',
  title: 'Kernel routing table of a node',
  description:
    '`ip route show [table T]`: the node\'s kernel routes (default route via br-ex, the cluster subnet via ovn-k8s-mp0, ...). Use table=all to include policy tables. Example: {node:"ovn-worker", table:"all", grep:"default|10\\\\.128"}.',
  shape: {
    node: nodeArg(),
    family: family(),
    table: z
      .union([z.enum(['main', 'local', 'all']), z.number().int().min(0).max(4294967295)])
      .optional()
      .describe('Routing table: main (default), local, all, or a number.'),
    ...outputShape,
  },
  plan: (a) => ({
    node: a.node,
    container: C,
    argv: ['ip', ...famFlag(a.family), 'route', 'show', ...(a.table !== undefined ? ['table', String(a.table)] : [])],
  }),
});

const ipAddr = nodeTextTool({
  name: 'kernel_ip_addr',
  toolset: 'kernel',
  title: 'Interfaces and addresses of a node',
  description:
    '`ip addr show`: interfaces and their IPs. An assigned EgressIP appears as an extra address on the egress node\'s br-ex (or on a secondary NIC). Example: {node:"ovn-worker2", grep:"br-ex|inet "}.',
  shape: { node: nodeArg(), family: family(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ip', ...famFlag(a.family), 'addr', 'show'] }),
});

const ipRule = nodeTextTool({
  name: 'kernel_ip_rule',
  toolset: 'kernel',
  title: 'Policy routing rules of a node',
  description:
    '`ip rule show`: policy routing rules (e.g. EgressIP on secondary NICs adds rules that send marked traffic to a per-interface table).',
  shape: { node: nodeArg(), family: family(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ip', ...famFlag(a.family), 'rule', 'show'] }),
});

const ipNeigh = nodeTextTool({
  name: 'kernel_ip_neigh',
  toolset: 'kernel',
  title: 'ARP / NDP neighbour table of a node',
  description:
    '`ip neigh show`: the kernel neighbour cache (IP -> MAC, state REACHABLE/STALE/FAILED). FAILED entries for a gateway or peer point at L2 problems.',
  shape: { node: nodeArg(), family: family(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ip', ...famFlag(a.family), 'neigh', 'show'] }),
});

const nft = nodeTextTool({
  name: 'kernel_nft_ruleset',
  toolset: 'kernel',
  title: 'nftables ruleset of a node',
  description:
    '`nft list ruleset`: all nftables tables and chains (OVN-Kubernetes uses table inet ovn-kubernetes for service, EgressIP-on-secondary-NIC and management-port rules). Large: use grep. Example: {node:"ovn-worker", grep:"egress|snat|masquerade"}.',
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['nft', 'list', 'ruleset'] }),
});

const iptablesSave = nodeTextTool({
  name: 'kernel_iptables_save',
  toolset: 'kernel',
  title: 'iptables rules of a node',
  description:
    '`iptables-save [-t table]` (or ip6tables-save): legacy iptables rules, e.g. OVN-KUBE-* chains on older releases. Example: {node:"ovn-worker", table:"nat", grep:"OVN-KUBE"}.',
  shape: {
    node: nodeArg(),
    ipv6: z.boolean().optional().describe('Use ip6tables-save.'),
    table: z.enum(['filter', 'nat', 'mangle', 'raw']).optional().describe('Only this table.'),
    ...outputShape,
  },
  plan: (a) => ({ node: a.node, container: C, argv: [a.ipv6 ? 'ip6tables-save' : 'iptables-save', ...(a.table ? ['-t', a.table] : [])] }),
});

const conntrack = nodeTextTool({
  name: 'kernel_conntrack',
  toolset: 'kernel',
  title: 'Kernel conntrack table of a node',
  description:
    '`conntrack -L [-f ipv4|ipv6]`: the kernel connection-tracking table (host-network and management-port traffic; OVS datapath connections are in ovs_dpctl_dump_conntrack). Example: {node:"ovn-worker", grep:"dport=53"}.',
  shape: { node: nodeArg(), family: z.enum(['ipv4', 'ipv6']).optional().describe('Address family.'), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['conntrack', '-L', ...(a.family ? ['-f', a.family] : [])] }),
});

export const kernelTools: AnyTool[] = [ipRoute, ipAddr, ipRule, ipNeigh, nft, iptablesSave, conntrack];
