/**
 * OVS tools: the node's Open vSwitch (bridges br-int and br-ex, OpenFlow tables installed by
 * ovn-controller, the datapath flow cache and conntrack). They run in the ovn-controller container.
 */
import * as z from 'zod';
import { nodeTextTool, type AnyTool } from '../registry.ts';
import { bridge, nodeArg, ofFlow, outputShape } from '../validate.ts';

const C = 'ovn-controller';
const bridgeArg = () =>
  bridge().describe('OVS bridge: br-int (OVN integration bridge, all pod ports) or br-ex (external bridge holding the node IP).');

const vsctlShow = nodeTextTool({
  name: 'ovs_vsctl_show',
  toolset: 'ovs',
  title: 'OVS bridges, ports and interfaces of a node',
  description:
    '`ovs-vsctl show`: the node\'s bridges (br-int, br-ex), their ports and interface types (internal, patch, geneve tunnels to other nodes). Use it to check that a pod\'s veth/port exists on br-int and the patch ports to br-ex are there. Example: {node:"ovn-worker", grep:"br-ex|patch"}.',
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ovs-vsctl', 'show'] }),
});

const listBr = nodeTextTool({
  name: 'ovs_list_bridges',
  toolset: 'ovs',
  title: 'OVS bridge names',
  description: '`ovs-vsctl list-br`: the bridge names on the node (normally br-int and br-ex).',
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ovs-vsctl', 'list-br'] }),
});

const listPorts = nodeTextTool({
  name: 'ovs_list_ports',
  toolset: 'ovs',
  title: 'Ports of an OVS bridge',
  description:
    '`ovs-vsctl list-ports <bridge>`: port names on a bridge. On br-int pods appear as their veth/tap names plus ovn-k8s-mp0 (management port) and patch ports. Example: {node:"ovn-worker", bridge:"br-int"}.',
  shape: { node: nodeArg(), bridge: bridgeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ovs-vsctl', 'list-ports', a.bridge] }),
});

const dumpFlows = nodeTextTool({
  name: 'ovs_ofctl_dump_flows',
  toolset: 'ovs',
  title: 'OpenFlow flows of a bridge',
  description:
    '`ovs-ofctl dump-flows <bridge> [table=N]`: the OpenFlow rules ovn-controller installed from the logical flows (br-int) or the gateway flows (br-ex), with packet counters (n_packets) that show which rules traffic really hits. br-int has thousands of flows: pass table and grep. Example: {node:"ovn-worker", bridge:"br-int", table:0, grep:"10\\\\.128\\\\.2\\\\.5"}.',
  shape: {
    node: nodeArg(),
    bridge: bridgeArg(),
    table: z.number().int().min(0).max(254).optional().describe('Only this OpenFlow table (0-254).'),
    no_stats: z.boolean().optional().describe('Omit counters (shorter lines).'),
    ...outputShape,
  },
  plan: (a) => ({
    node: a.node,
    container: C,
    argv: [
      'ovs-ofctl',
      ...(a.no_stats ? ['--no-stats'] : []),
      'dump-flows',
      a.bridge,
      ...(a.table !== undefined ? [`table=${a.table}`] : []),
    ],
  }),
  hints: ['table=<n>', 'grep=<ip or cookie>'],
});

const dpctlFlows = nodeTextTool({
  name: 'ovs_dpctl_dump_flows',
  toolset: 'ovs',
  title: 'Datapath (megaflow cache) flows',
  description:
    '`ovs-appctl dpctl/dump-flows`: the flows the datapath is actually using for live traffic right now, with the final actions (output port, ct(), set(...)). Empty when no traffic. Useful to confirm where a real packet stream goes. Example: {node:"ovn-worker", grep:"10\\\\.128\\\\.2\\\\.5"}.',
  shape: { node: nodeArg(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ovs-appctl', 'dpctl/dump-flows'] }),
});

const dpctlConntrack = nodeTextTool({
  name: 'ovs_dpctl_dump_conntrack',
  toolset: 'ovs',
  title: 'Conntrack entries of the OVS datapath',
  description:
    '`ovs-appctl dpctl/dump-conntrack [zone=N]`: connection tracking entries (5-tuples, state, zone, mark). SNATed EgressIP connections show the egress IP as reply destination. Find a zone number with ovn_ct_zone_list. Example: {node:"ovn-worker2", zone:5, grep:"172\\\\.18\\\\.0\\\\.33"}.',
  shape: { node: nodeArg(), zone: z.number().int().min(0).max(65535).optional().describe('Only this conntrack zone.'), ...outputShape },
  plan: (a) => ({
    node: a.node,
    container: C,
    argv: ['ovs-appctl', 'dpctl/dump-conntrack', ...(a.zone !== undefined ? [`zone=${a.zone}`] : [])],
  }),
});

const ofprotoTrace = nodeTextTool({
  name: 'ovs_ofproto_trace',
  toolset: 'ovs',
  title: 'Trace a packet through OpenFlow tables',
  description:
    '`ovs-appctl ofproto/trace <bridge> <flow>`: like ovn_trace but on the real OpenFlow rules of the bridge: shows each table, rule and resulting datapath actions for a hypothetical packet. The flow is comma-separated fields. Example: {node:"ovn-worker", bridge:"br-int", flow:"in_port=5,ip,nw_src=10.128.2.5,nw_dst=8.8.8.8"}.',
  shape: { node: nodeArg(), bridge: bridgeArg(), flow: ofFlow(), ...outputShape },
  plan: (a) => ({ node: a.node, container: C, argv: ['ovs-appctl', 'ofproto/trace', a.bridge, a.flow] }),
});

export const ovsTools: AnyTool[] = [vsctlShow, listBr, listPorts, dumpFlows, dpctlFlows, dpctlConntrack, ofprotoTrace];
