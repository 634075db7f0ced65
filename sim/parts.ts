/**
 * The parts of the embedded cluster, in start order. Each returns what must be stopped.
 * sim/cluster.ts starts them after the API server is listening and stops them in reverse.
 * Each part adds its own line here when it lands.
 */
import type { SimContext, Stoppable } from './types.ts';
import { startChaosMesh } from './chaos/controller.ts';
import { ovnPart } from './ovn/index.ts';
import { ovnkubePart } from './ovnkube/index.ts';
import { startNodes, startWorkloads } from './controllers/index.ts';
import { ptpPart } from './ptp/index.ts';
import { startPtpEventsAndFaults } from './ptp/faults.ts';
import { prometheusPart } from './prometheus/index.ts';

export type SimPart = { name: string; start: (ctx: SimContext) => Promise<Stoppable> };

export const simParts: SimPart[] = [
  // first: real OVN/OVS per node (netns, NB/SB, northd, vswitchd, ovn-controller); sim/ovnkube writes NB rows into it
  ovnPart,
  // Node objects + heartbeats + node-lifecycle + NodeActions + kubelets (podRuntime, appendLog)
  { name: 'nodes', start: (ctx) => startNodes(ctx) },
  // scheduler, ReplicaSet/Deployment/DaemonSet, GC, ovnkube-node DS + ovnkube-control-plane Deployment
  { name: 'workloads', start: (ctx) => startWorkloads(ctx) },
  // emulated ovnkube (zone controllers + cluster-manager + fault library): after ovn and the controllers/kubelet parts
  ovnkubePart,
  // PTP operator objects + the emulated linuxptp-daemon (a kubelet container handler): after nodes/workloads
  ptpPart,
  // cloud-event-proxy REST API v2 per PTP node (service proxy) + the PTP faults (fault library, StressChaos/TimeChaos)
  { name: 'ptp-events', start: async (ctx) => startPtpEventsAndFaults(ctx) },
  // a real Prometheus scraping the exporters of ovnkube, OVN/OVS, kubelet/cAdvisor; thanos-querier via the service proxy
  prometheusPart,
  // last: Chaos Mesh acts on what the other parts run
  { name: 'chaos-mesh', start: startChaosMesh },
];
