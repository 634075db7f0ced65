/**
 * The fixed two-level taxonomy of root causes: `layer/fault-class`, plus `healthy` for no-fault controls.
 * A case's truth names exactly one category; an answer's category is scored by exact match.
 *
 * One reading rule keeps it unambiguous (the infra-vs-app ambiguity AIOpsLab's maintainers describe in
 * microsoft/AIOpsLab issue #106): the layer is the component whose own state or behaviour is wrong first,
 * i.e. the one a fix has to act on; not the layer where the symptom shows. A stale SNAT that ovnkube
 * wrote and never removed is `ovnkube/stale-entry` (the rows are in OVN, the defect is ovnkube's); an
 * SNAT a person deleted by hand with ovn-nbctl is `ovn/missing-entry`; ovn-northd not running is
 * `ovn/process-down`; the ovnkube-node pod crash-looping is `k8s/crash-loop`.
 *
 * Each category carries cue words, used only to read a category out of an answer given in free text
 * (evals/scoring/extract.ts); they are matched as scoring patterns (evals/scoring/text.ts).
 */

export const LAYERS = ['k8s', 'ovnkube', 'ovn', 'ovs', 'kernel', 'ptp'] as const;
export type Layer = (typeof LAYERS)[number];

export const FAULT_CLASSES = [
  'process-down',
  'crash-loop',
  'node-down',
  'stale-entry',
  'missing-entry',
  'wrong-entry',
  'duplicate-entry',
  'stale-sync',
  'assignment',
  'misconfiguration',
  'network-impairment',
  'link-down',
  'clock-loss',
  'clock-offset',
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

export const HEALTHY = 'healthy' as const;

export interface FaultClassInfo {
  meaning: string;
  /** scoring patterns that say "this class" in free text */
  cues: string[];
}

export const FAULT_CLASS_INFO: Record<FaultClass, FaultClassInfo> = {
  'process-down': {
    meaning: 'a daemon or process that must run is not running (exited, killed, paused), the pod around it may still be Running',
    cues: [
      'not running',
      'is down',
      'process down',
      'stopped',
      'exited',
      'killed',
      'dead',
      'no socket',
      'paused',
      'not started',
      'died',
      'crashed',
      'has exited',
      'never restarted',
      'not restarted',
      'nothing restarted',
      're:\\b(?:process|daemon)\\b[^.]*\\b(?:is|was) gone\\b',
    ],
  },
  'crash-loop': {
    meaning: 'a container restarts over and over (CrashLoopBackOff)',
    cues: ['crashloop*', 'crash loop*', 'crash-loop*', 'back-off restarting', 'restarting repeatedly', 'keeps restarting', 'restart loop'],
  },
  'node-down': {
    meaning: 'a node is NotReady / unreachable / rebooting (kubelet stopped, node crashed)',
    cues: ['notready', 'not ready', 'node down', 'unreachable', 'kubelet stopped', 'kubelet not running', 'node rebooted|rebooting'],
  },
  'stale-entry': {
    meaning: 'state that should have been removed is still there (a row, a next hop, an address-set member, a flow)',
    cues: [
      'stale',
      'leftover',
      'left over',
      'left behind',
      'still present',
      'still there',
      'never removed',
      'not removed',
      'not cleaned',
      'lingering',
      'leak*',
      'orphan*',
    ],
  },
  'missing-entry': {
    meaning: 'state that should exist is absent (a row, a port, a next hop, a route)',
    cues: [
      'missing',
      'absent',
      'was deleted',
      'were deleted',
      'removed wrongly',
      'wrongly removed',
      'no longer exists',
      'does not exist',
      'removed',
      'deleted',
      're:\\b(?:was|were|got|been) lost\\b',
      're:\\blost (?:the|its|their|a) (?:route|row|entry|port|polic(?:y|ies)|snat|nat)s?\\b',
      're:\\b(?:has|have) no default\\b',
      're:\\bno default (?:route|entry|gateway)\\b',
      're:\\b(?:port|row|entry|entries|route|policy|policies|snat|nat|lsp)\\b[^.]*\\b(?:is|are) gone\\b',
    ],
  },
  'wrong-entry': {
    meaning: 'the state exists but its content is wrong (wrong IP, wrong next hop, wrong port, old format)',
    cues: ['wrong', 'incorrect', 'points to the old', 'outdated ip', 'old ip', 'mismatch*', 'instead of', 're:blackhole'],
  },
  'duplicate-entry': {
    meaning: 'the same entry exists more than once',
    cues: [
      'duplicat*',
      'twice',
      'two identical',
      'multiple results',
      'two|2|2x|double|doubled snats|nats|rows|entries|rules|policies per|for|each',
    ],
  },
  'stale-sync': {
    meaning: 'a consumer acts on an old version of the state (the SB or the data plane stopped following the NB)',
    cues: [
      'stale sb',
      'stale southbound',
      'southbound not updated',
      'sb not updated',
      'out of sync',
      'not following',
      'not propagated',
      'outdated southbound',
    ],
  },
  assignment: {
    meaning: 'an allocation decision is wrong: an EgressIP unassigned, assigned twice, or to the wrong node',
    cues: [
      'unassigned',
      'not assigned',
      'assigned twice',
      'assigned to two',
      'double assign*',
      'no node assigned',
      'no egress node',
      're:\\bassigned\\b[^.]*\\bto (?:both|two)\\b',
    ],
  },
  misconfiguration: {
    meaning: 'configuration a person gave is wrong or missing (a label, a selector, a subnet, a PtpConfig option)',
    cues: [
      'misconfigur*',
      'label missing',
      'missing label',
      'not labeled|labelled',
      'label removed',
      're:\\b(?:lost|removed|dropped)\\b.*\\blabels?\\b',
      'fight|fights|fighting',
      'two writers',
      'wrong config*',
      'invalid config*',
      'typo',
    ],
  },
  'network-impairment': {
    meaning: 'packets are lost, delayed or partitioned on the wire',
    cues: ['packet loss', 'latency', 'delay*', 'partition*', 'dropped packets', 'network loss'],
  },
  'link-down': {
    meaning: 'an interface or link is down',
    cues: [
      'link down',
      'link is down',
      'interface down',
      'carrier lost',
      'no carrier',
      'port faulty',
      'faulty port',
      'faulty',
      'flap*',
      'administratively down',
      're:\\b(?:interface|link|br-ex|ens\\w+|eth\\w+)\\b[^.]*\\bis down\\b',
    ],
  },
  'clock-loss': {
    meaning: 'the time source is lost: grandmaster gone, holdover, free-run',
    cues: ['grandmaster lost|loss|gone', 'lost the grandmaster', 'holdover', 'freerun', 'free-run', 'free running', 'no master'],
  },
  'clock-offset': {
    meaning: 'the clock runs but with an offset or jitter out of range',
    cues: [
      'offset out of range',
      'large offset',
      'clock offset',
      'time offset',
      'jitter',
      'clock skew',
      'time skew',
      'offset*|offsets jump*|beyond|spike*',
    ],
  },
};

export const LAYER_INFO: Record<Layer, { meaning: string; cues: string[] }> = {
  k8s: {
    meaning:
      'Kubernetes objects, the control plane, kubelet and node lifecycle, pods as units (a crash-looping pod, a NotReady node, a removed label)',
    cues: ['kubelet', 'node label', 'label|labels|labelled|labeled', 'crashloopbackoff', 'notready', 'pod restart*', 'kubernetes object'],
  },
  ovnkube: {
    meaning:
      "ovn-kubernetes' controllers (cluster-manager, ovnkube-controller): rows they write wrongly or fail to remove, assignment decisions",
    cues: ['ovnkube', 'ovn-kubernetes', 'ovnkube-controller', 'cluster-manager', 'egressip controller', 'zone controller'],
  },
  ovn: {
    meaning: 'OVN itself: the NB/SB databases and their daemons (ovn-northd, ovn-controller), rows edited out of band',
    cues: [
      'northd',
      'ovn-northd',
      'ovn-controller',
      'southbound',
      'northbound',
      'nbdb',
      'sbdb',
      'logical flow*',
      'ovn-nbctl',
      'edited by hand|manually',
      'by hand',
      'manually',
      'out of band|out-of-band',
      'ovn_cluster_router',
      're:\\bgr_',
      'logical switch*|router*',
      'snat|snats',
      'nat table',
      'ovn-appctl',
      'lr-policy*',
      'lsp-*',
    ],
  },
  ovs: {
    meaning: 'Open vSwitch: bridges, ports, OpenFlow flows, ovs-vswitchd / ovsdb-server',
    cues: ['ovs-vswitchd', 'openflow', 'br-int', 'br-ex', 'ovs port', 'ovs bridge', 'ovs-ofctl', 'datapath'],
  },
  kernel: {
    meaning: 'the node kernel network stack: routes, rules, nftables/iptables, links, sysctls',
    cues: [
      'kernel',
      'ip route',
      'routing table',
      'nftables',
      'iptables',
      'sysctl',
      'ip rule',
      'ip link',
      'route',
      'interface',
      'administratively',
    ],
  },
  ptp: {
    meaning: 'linuxptp and the PTP operator: ptp4l / phc2sys / ts2phc, PtpConfig, clock state',
    cues: ['ptp4l', 'phc2sys', 'ts2phc', 'ptpconfig', 'ptp', 'grandmaster', 'gm', 'clockclass', 'clock class', 'linuxptp', 'chronyd'],
  },
};

export interface Category {
  id: string;
  layer: Layer;
  faultClass: FaultClass;
}

/** The valid layer x fault-class pairs. Fixed: adding one is a taxonomy change (evals/README.md lists them). */
const MATRIX: Record<Layer, readonly FaultClass[]> = {
  k8s: ['crash-loop', 'node-down', 'misconfiguration', 'missing-entry', 'network-impairment'],
  ovnkube: ['stale-entry', 'missing-entry', 'wrong-entry', 'duplicate-entry', 'assignment', 'crash-loop', 'process-down'],
  ovn: ['process-down', 'stale-sync', 'stale-entry', 'missing-entry', 'wrong-entry'],
  ovs: ['process-down', 'missing-entry', 'wrong-entry', 'stale-entry'],
  kernel: ['missing-entry', 'wrong-entry', 'link-down', 'network-impairment', 'misconfiguration'],
  ptp: ['process-down', 'misconfiguration', 'link-down', 'clock-loss', 'clock-offset'],
};

export const CATEGORIES: readonly Category[] = LAYERS.flatMap((layer) =>
  MATRIX[layer].map((faultClass) => ({ id: `${layer}/${faultClass}`, layer, faultClass })),
);

export const CATEGORY_IDS: readonly string[] = [...CATEGORIES.map((c) => c.id), HEALTHY];

export function isCategory(id: string): boolean {
  return CATEGORY_IDS.includes(id);
}

export function categoryOf(id: string): Category | undefined {
  return CATEGORIES.find((c) => c.id === id);
}

/** Normalise what an agent wrote as a category: case, spaces, `ovnkube / stale-entry`, `ovnkube:stale_entry`. */
export function normaliseCategory(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/\s*[/:]\s*/g, '/')
    .replace(/_/g, '-')
    .replace(/\s+/g, '-');
  return s.length ? s : undefined;
}
