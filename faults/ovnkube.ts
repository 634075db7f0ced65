/**
 * The faults of the emulated ovnkube (sim/ovnkube): the EgressIP bug classes of ovn-org/ovn-kubernetes
 * (go-controller/pkg/ovn/egressip.go, go-controller/pkg/clustermanager/egressip_controller.go) plus
 * operational faults. Declarative only: the hooks that act on them live in sim/ovnkube (zone-controller.ts,
 * cluster-manager.ts, index.ts), keyed by these ids (typed `FaultId`, so a hook on an unknown id fails
 * typecheck).
 */
import { defineFaults } from './types.ts';

const NODE_PARAM = { node: 'only on this node (zone); default: every node' };

export const ovnkubeFaults = defineFaults({
  'eip-stale-snat-lrp-after-failover': {
    kind: 'bug',
    failureClass: 'stale rows after failover and restart',
    upstream: 'commit 1667a51d9 "EgressIP: fix failover and restart stale SNAT/LRP; ensure status sync"; PR #5606',
    title: 'Stale SNAT / LRP nexthop after failover + restart',
    description:
      "The zone controller handles the EgressIP status move with a stale status: it never removes the SNATs of an IP that left its node (neither on the status event nor in syncStaleSNATRules at restart), and pod nodes only add nexthops, never remove the old egress node's.",
    trigger: 'Reboot (or make unreachable) the egress node so cluster-manager moves the EgressIP, then let it come back.',
    symptom: {
      nb: "Old egress node: lr-nat-list GR_<old> still holds the EIP SNATs (logical_port k8s-<old>). Pod nodes: priority-100 reroutes keep the old node's transit IP (100.88.0.x) next to the new one.",
      logs: ['no "syncStaleSNATRules found NAT ... without EIP assigned to a Node" line on the old node after restart'],
    },
    heal: 'Switch off, then restart ovnkube-controller on the affected nodes (delete the ovnkube-node pod): syncStaleSNATRules / syncStaleEgressReroutePolicy remove the rows.',
    params: NODE_PARAM,
  },
  'eip-missing-pod-delete-on-restart': {
    kind: 'bug',
    failureClass: 'pod delete missed while down',
    upstream: 'commit 8975b00e7 "Handle missing pod delete event in EIP controller"',
    title: 'Pod deleted while ovnkube-controller was down keeps its LRP',
    description:
      'On restart the pod handler is registered after the namespace handler; pods deleted in between are never seen as deleted, so the startup sync keeps their rows.',
    trigger: 'Stop the ovnkube-node pod of a pod node (or reboot it), delete selected pods, let ovnkube-controller start again.',
    symptom: { nb: 'Pod node: priority-100 reroute LRP for an IP no pod has; egress node: SNAT for that IP; address set keeps the IP.' },
    heal: 'Switch off and restart ovnkube-controller: syncStaleEgressReroutePolicy deletes the LRP ("will delete ... due to no nexthop or stale logical ip").',
    params: NODE_PARAM,
  },
  'eip-pod-delete-ignored-after-cleanup': {
    kind: 'bug',
    failureClass: 'pod delete dropped after cleanup',
    upstream: 'commit 16dedd155 "Fix cleanup of LRP for deleted pods"',
    title: 'Pod delete ignored after stale-assignment cleanup',
    description:
      'After a controller restart the stale-assignment cleanup drops pods from the podAssignment cache; a later delete of such a pod is ignored while the controller still treats it as served, so an EgressIP move rewrites its LRP.',
    trigger:
      'Restart ovnkube-controller, then delete a selected pod that existed before the restart; move the EgressIP (reboot the egress node).',
    symptom: { nb: "Leftover priority-100 LRP (and SNATs) for the deleted pod, following the EgressIP to the new node's transit IP." },
    heal: 'Switch off: the next event of that EgressIP (or a restart) removes the rows.',
    params: NODE_PARAM,
  },
  'eip-stale-nexthop-deleted-node': {
    kind: 'bug',
    failureClass: 'stale nexthop of a deleted node',
    upstream: 'PR #4559 / commit 52317f156; PR #2860; Bug 2063321 (openshift/ovn-kubernetes#993)',
    title: 'LRP nexthop of a deleted egress node stays',
    description:
      'When the egress Node object is deleted the controller cannot compute the old nexthop, so it is never removed from the reroute policies.',
    trigger: 'Delete the Node object of an egress node (kubectl delete node).',
    symptom: { nb: "Pod nodes: priority-100 LRP nexthops still contain the deleted node's transit IP (ECMP to a black hole)." },
    heal: 'Switch off, then an EgressIP event or a restart removes the nexthop ("syncStaleEgressReroutePolicy will remove stale nexthops for LRP").',
    params: NODE_PARAM,
  },
  'eip-valid-nexthops-removed-at-startup': {
    kind: 'bug',
    failureClass: 'startup sync removes valid rows',
    upstream: 'commits d2b7cbe7e, a46e0e77b (2025-08)',
    title: 'Startup sync removes valid remote nexthops',
    description:
      'In IC the startup stale-nexthop check skips remote nodes whose transit-switch port it cannot find, and strips their (valid) nexthops; only a later pod/EgressIP event re-adds them.',
    trigger: 'Restart ovnkube-controller on a pod node whose pods egress through a remote node.',
    symptom: {
      nb: "Pod node: priority-100 LRPs lose the remote egress node's transit IP (deleted when it was the only one); pods egress with the node IP.",
      logs: ['syncStaleEgressReroutePolicy will remove stale nexthops for LRP ...'],
    },
    heal: 'Switch off and restart (or touch the EgressIP / pods): the nexthops come back.',
    params: NODE_PARAM,
  },
  'eip-overzealous-snat-delete': {
    kind: 'bug',
    failureClass: 'over-broad SNAT delete',
    upstream: 'PR #4998 / commit f21f8fb5c "Fixes SNAT removal with egress IP"; commit dfa9d8783',
    title: 'SNAT delete predicate matches the whole EgressIP',
    description:
      'When one status item of an EgressIP changes, the egress node deletes SNATs by EgressIP name only, taking the SNATs of status items (or the other IP family) that did not change.',
    trigger: 'EgressIP with 2 IPs (or dual-stack); change one status item (e.g. reboot one egress node, or edit spec.egressIPs).',
    symptom: {
      nb: 'Egress node: lr-nat-list GR_<node> misses the SNATs of an IP still assigned to it; pods egress with the node IP or drop.',
    },
    heal: 'Switch off and restart ovnkube-controller on the egress node, or any later event of that EgressIP.',
    params: NODE_PARAM,
  },
  'eip-duplicate-snat': {
    kind: 'bug',
    failureClass: 'duplicate SNATs',
    upstream: 'PR #3371 / commit 87fb483e2',
    title: 'Duplicate SNATs and failing deletes',
    description: 'Pod add creates the SNAT twice; later deletes find two rows for one predicate and fail, so both stay.',
    trigger: 'Create selected pods while on, then delete them or move the EgressIP.',
    symptom: {
      nb: 'Two identical SNAT rows per pod on GR_<egressNode>; stale SNATs pointing at a node that no longer holds the IP.',
      logs: ['unexpectedly found multiple results for provided predicate'],
    },
    heal: 'Switch off and restart ovnkube-controller: the sync removes duplicates and stale rows.',
    params: NODE_PARAM,
  },
  'eip-completed-pods-programmed': {
    kind: 'bug',
    failureClass: 'completed pods programmed',
    upstream: 'commit 7b88e0acb; OCPBUGS-15388 (openshift/ovn-kubernetes#1723)',
    title: 'Completed pods still programmed',
    description: 'Pods in phase Succeeded/Failed keep (or get) their EgressIP rows.',
    trigger: 'Let a selected pod complete (Job) while on.',
    symptom: { nb: "priority-100 LRP and SNAT for a Completed pod's IP; duplicates once the IP is reused." },
    heal: 'Switch off: the next event of the pod or a restart removes them.',
    params: NODE_PARAM,
  },
  'eip-stale-pod-ip-on-recreate': {
    kind: 'bug',
    failureClass: 'stale pod IP on recreate',
    upstream: 'commits 13f3f3f9f (2022), 90e65d62a (2026)',
    title: 'Pod recreated with the same name keeps the old IP in EgressIP rows',
    description:
      'A stale logicalPortCache entry (or status cache) makes the controller program the old pod IP when a pod is recreated with the same name.',
    trigger: 'Delete a selected pod and recreate it with the same name (StatefulSet, or kubectl replace) while on.',
    symptom: {
      nb: 'LRP match ip4.src == <old IP> and SNAT logical_ip <old IP>; the new IP is in no EgressIP row, so the pod egresses with the node IP.',
    },
    heal: 'Switch off and restart ovnkube-controller (or delete the pod again).',
    params: NODE_PARAM,
  },
  'eip-notin-selector-leak': {
    kind: 'bug',
    failureClass: 'rows leak after EgressIP delete',
    upstream: 'commit db4aaf417; OCPBUGS-24055; QE case 70667',
    title: 'NotIn-only selector: rows leak after EgressIP deletion',
    description:
      'The delete handler misidentifies the pods of an EgressIP whose selectors use only NotIn expressions, so deleting the EgressIP leaves its rows.',
    trigger: 'EgressIP with namespaceSelector/podSelector matchExpressions NotIn only; delete the EgressIP.',
    symptom: { nb: 'priority-100 LRPs and SNATs with k8s.ovn.org/name <deletedEip>_<ns>/<pod> remain.' },
    heal: 'Switch off and restart ovnkube-controller: the sync deletes rows of unknown EgressIPs.',
    params: NODE_PARAM,
  },
  'stale-sb': {
    kind: 'bug',
    failureClass: 'stale southbound state',
    upstream: 'commit 82fc3bf7a (FDP-1537), PR #5292, commit 3b5da01cb (OCPBUGS-42303)',
    title: 'Stale SB: ovn-controller acts on an old southbound state',
    description:
      "Best effort: ovn-northd on the node is paused, so the SB (logical flows, NAT flows) stops following the NB. After an EgressIP moves away the old node's SB still has the SNAT flows (the real bug GARPs the EIP from stale SB after reboot).",
    trigger: 'Switch on with {"node":"<egress node>"}, then move the EgressIP away from it.',
    symptom: {
      nb: 'nothing wrong in NB',
      sb: 'ovn-sbctl lflow-list GR_<node> still has lr_in_unsnat/lr_out_snat flows for the EIP; ovn-appctl -t ovn-northd is-paused -> true',
    },
    heal: 'Switch off: northd resumes and recomputes the SB from NB.',
    params: NODE_PARAM,
  },
  'eip-duplicate-assignment': {
    kind: 'bug',
    failureClass: 'duplicate IP assignment',
    upstream: 'commit ddb32d433',
    title: 'Same IP assigned to two EgressIP CRs',
    description:
      'cluster-manager restarts with an empty allocator cache and reconciles unassigned EgressIPs without knowing which IPs others hold.',
    trigger: 'Create two EgressIPs with the same IP while on.',
    symptom: {
      api: 'Both EgressIPs show the IP in status.items',
      nb: 'the egress node holds SNATs with that external_ip for the pods of both EgressIPs',
    },
    heal: 'Switch off: cluster-manager re-reconciles and unassigns the younger one ("is already assigned to EgressIP").',
  },
  'eip-stays-unassigned': {
    kind: 'bug',
    failureClass: 'assignment not retried',
    upstream: 'commit 4b75652db',
    title: 'EgressIP stays unassigned after a node becomes reachable',
    description:
      'A competing node update removes the retry entry: a node that becomes Ready/reachable again is not used for EgressIPs that are unassigned.',
    trigger: 'Make every egress-assignable node unreachable/NotReady (status.items empties), then bring them back while on.',
    symptom: { api: 'status.items stays empty although an assignable node is Ready', nb: 'no SNATs, no priority-100 LRPs' },
    heal: 'Switch off: the next cluster-manager retry assigns it.',
  },
  'eip-legacy-nats-not-migrated': {
    kind: 'bug',
    failureClass: 'legacy rows not migrated',
    upstream: 'commit 7588fd3a6',
    title: 'Legacy NATs not migrated at startup',
    description:
      'The startup external_ids migration (nat_sync.go) skips legacy EgressIP NATs (external_ids name=<eip> only), so they are neither migrated nor cleaned.',
    trigger:
      'Run with ovnkube-legacy-external-ids on (an older ovnkube wrote the rows), switch that off and this on, restart ovnkube-controller.',
    symptom: { nb: 'SNATs/LRPs with only external_ids:name=<eip>; legacy rows of deleted pods stay.' },
    heal: 'Switch off and restart: rows are migrated to the current external_ids (or deleted as UNKNOWN).',
    params: NODE_PARAM,
  },
  'ovnkube-legacy-external-ids': {
    kind: 'mode',
    failureClass: 'legacy external_ids format',
    upstream: 'before commit 1642012bf (2024-10-26)',
    title: 'Older ovnkube: legacy external_ids',
    description:
      'Not a bug: the zone controllers behave like an ovnkube older than 2024-10, writing EgressIP NATs and LRPs with only external_ids name=<eipName> (what QE case 73694 greps).',
    trigger: 'Switch on and restart ovnkube-controller (or create EgressIPs).',
    symptom: { nb: 'find nat external_ids:name=<eip> returns the SNATs; no k8s.ovn.org/id.' },
    heal: 'Switch off and restart: the startup sync migrates the rows.',
    params: NODE_PARAM,
  },
  'ovnkube-controller-crashloop': {
    kind: 'operational',
    failureClass: 'operational',
    upstream: '-',
    title: 'ovnkube-controller in CrashLoopBackOff',
    description:
      'The zone controller panics at start: nothing is reconciled in that zone while on; the ovnkube-controller container is shown in CrashLoopBackOff with the panic in its log.',
    trigger: 'Switch on (optionally {"node":"worker-1"}); the next controller (re)start fails.',
    symptom: {
      api: 'kubectl get pods -n openshift-ovn-kubernetes: ovnkube-node-* CrashLoopBackOff, restarts growing',
      logs: ['panic: runtime error: invalid memory address or nil pointer dereference'],
      nb: "the zone's NB stops following API changes",
    },
    heal: 'Switch off: the container starts, the controller syncs the zone.',
    params: NODE_PARAM,
  },
  'ovnkube-slow-nb-sync': {
    kind: 'operational',
    failureClass: 'slow NB programming',
    upstream: '-',
    title: 'ovnkube-controller programs the NB slowly',
    description:
      'Every reconcile of the zone controller waits before it reads the cluster state and writes its NB transaction, as a controller starved of CPU or an overloaded NB ovsdb-server would: EgressIP rows follow every change late (the rows of a failover, the startup sync after a reboot or an ovnkube-node restart). Nothing is wrong once it has caught up, so consistency checks pass; only convergence is slow.',
    trigger: 'Switch on (optionally {"seconds":N,"node":"<node>"}), then reboot an egress node or restart an ovnkube-node pod.',
    symptom: {
      nb: 'rows are right but late: after a disruption the EgressIP SNATs / priority-100 reroutes reach their final state `seconds` (or a multiple) after the API change',
      logs: ['the "Finished syncing EgressIP" / sync-done lines of ovnkube-controller come `seconds` after the event'],
    },
    heal: 'Switch off: the next reconcile runs at once.',
    params: { ...NODE_PARAM, seconds: 'delay before each reconcile, in cluster seconds (divided by the sim speed); default 60' },
  },
  'northd-down': {
    kind: 'operational',
    failureClass: 'operational',
    upstream: '-',
    title: 'ovn-northd down on a node',
    description: 'ovn-northd of the node exits: NB changes no longer reach the SB (no new logical flows).',
    trigger: 'Switch on with {"node":"<node>"}.',
    symptom: { sb: 'SB Logical_Flow / Port_Binding stop following NB changes; ovn-appctl -t ovn-northd fails (no socket)' },
    heal: 'Switch off: northd is started again (ovnkube-node pod processes restart).',
    params: { node: 'node whose northd stops (required)' },
  },
});
