/**
 * The embedded cluster's constants, one place: the namespaces it runs OpenShift's components in (the same
 * names a real cluster uses, so the harness finds them the same way) and its default working directory.
 * The harness keeps its own (harness/constants.ts); sim/ may import that one, not the reverse.
 */

/** OVN-Kubernetes: ovnkube-node / ovnkube-control-plane pods, their ConfigMaps */
export const OVN_NAMESPACE = 'openshift-ovn-kubernetes';
/** PTP operator: linuxptp-daemon pods, PtpConfig objects, the event publisher services */
export const PTP_NAMESPACE = 'openshift-ptp';
/** Chaos Mesh's controller-manager (its Helm chart's default namespace) */
export const CHAOS_MESH_NAMESPACE = 'chaos-mesh';

/** `netharness sim start` without --workdir: relative to the current directory */
export const DEFAULT_WORKDIR = 'results/sim';
