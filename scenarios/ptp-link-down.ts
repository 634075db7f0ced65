/**
 * ptp-link-down: take the PTP slave interface of a node down and up again, as the ptp-operator conformance
 * suite does (`ip link set <if> down|up` in a privileged pod, NetworkManager told not to restore it; openshift/
 * ptp-operator test/pkg PortEngine.TurnPortDown/Up). Asserts FAULTY within 3 min of link down, SLAVE within
 * 5 min of link up, offset in range within 2 min (divided by the sim speed), records the transition times.
 *
 *   npm run scenario ptp-link-down
 *   npm run scenario ptp-link-down -- --param fault=<sim fault that keeps the port down>   # fails, exit 1
 *   npm run scenario ptp-link-down -- --kubeconfig ~/.kube/config --param iface=ens1f0
 */
import { LIMITS, ptpFaultScenario, runOnNode } from '../harness/index.ts';

// NetworkManager is told to leave the port alone while it is down (the conformance suite's `nmcli device set <if>
// managed no`); best effort: a node without nmcli still gets the link change. `env nmcli` keeps the script a list of
// simple commands (no subshell), which every sh, and the embedded cluster's node shell, runs the same.
export const linkScript = (iface: string, up: boolean): string =>
  up
    ? `ip link set ${iface} up; env nmcli device set ${iface} managed yes >/dev/null 2>&1 || true`
    : `env nmcli device set ${iface} managed no >/dev/null 2>&1 || true; ip link set ${iface} down`;

export default ptpFaultScenario({
  name: 'ptp-link-down',
  description: 'PTP slave interface down then up: FAULTY within 3 min, SLAVE within 5 min of link up, offset in range within 2 min',
  degraded: { describe: 'slave port FAULTY', pred: (s) => s.role === 'FAULTY', limitS: LIMITS.faultyS },
  async inject(t, target, p) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(target.iface)) throw new Error(`interface name '${target.iface}' is not a Linux interface name`);
    await runOnNode(t.cluster, target.node, linkScript(target.iface, false), { image: p.debugImage, signal: t.signal });
    return () => runOnNode(t.cluster, target.node, linkScript(target.iface, true), { image: p.debugImage, signal: t.signal });
  },
});
