/**
 * ptp-holdover: the slave link goes down and stays down past the profile's holdOverTimeout: the clock goes
 * to HOLDOVER (cloud-event-proxy encoding) and then FREERUN; then the link comes back and the clock re-locks.
 * Records time to HOLDOVER / FREERUN, the holdover duration and the time to re-lock (openshift/ptp-operator
 * test/conformance/serial/ptp.go dual-follower and "Remove Grandmaster" cases).
 *
 *   npm run scenario ptp-holdover
 */
import { LIMITS, ptpFaultScenario, runOnNode } from '../harness/index.ts';
import { linkScript } from './ptp-link-down.ts';

export default ptpFaultScenario({
  name: 'ptp-holdover',
  description: 'PTP slave link down past holdOverTimeout: HOLDOVER then FREERUN, then re-lock after link up; holdover duration',
  degraded: { describe: 'clock FREERUN after the holdover', pred: (s) => s.clockState === 'FREERUN', limitS: LIMITS.holdoverS },
  async inject(t, target, p) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(target.iface)) throw new Error(`interface name '${target.iface}' is not a Linux interface name`);
    await runOnNode(t.cluster, target.node, linkScript(target.iface, false), { image: p.debugImage, signal: t.signal });
    return () => runOnNode(t.cluster, target.node, linkScript(target.iface, true), { image: p.debugImage, signal: t.signal });
  },
});
