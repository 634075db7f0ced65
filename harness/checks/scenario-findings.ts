/**
 * Findings of scenario expectations: what a scenario's own `t.check` asserts about the cluster's reaction to a
 * fault (an EgressIP failing over, a PTP clock re-locking), as opposed to what a check unit reads in one pass.
 * They are a vocabulary like a check's, so a scenario that reports an unknown kind fails `npm run typecheck`
 * (store `FindingInput`), and the README lists them with the checks' kinds.
 */
export const SCENARIO_FINDINGS = {
  'egressip-not-failed-over': 'node-reboot: an EgressIP stayed assigned to its node while that node rebooted',
  'ptp-not-locked': 'PTP scenarios: the target node was not LOCKED with its offset in range before the fault (baseline)',
  'ptp-fault-not-visible': "PTP scenarios: the injected fault's degraded state was not seen within its limit",
  'ptp-sidecar-not-locked': "PTP scenarios: the cloud-event-proxy's lock-state CurrentState was not LOCKED after recovery",
  'ptp-role-not-recovered': 'PTP scenarios: the watched interface did not return to its role within the conformance limit',
  'ptp-not-relocked': 'PTP scenarios: the clock did not return to LOCKED with its offset in range within the conformance limit',
} as const;

export type ScenarioFindingKind = keyof typeof SCENARIO_FINDINGS;
