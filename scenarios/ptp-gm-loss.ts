/**
 * ptp-gm-loss: the grandmaster stops announcing: the slave port leaves SLAVE on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES
 * (LISTENING, or MASTER for a non-slave-only clock), offsets stop, the clock goes HOLDOVER / FREERUN; when the
 * grandmaster is back the port re-selects it and the clock re-locks. The grandmaster is outside the node, so
 * the loss is switched through the fault library (`--param gmFault=<id>`, default ptp-grandmaster-loss; the embedded cluster's catalogue in
 * ConfigMap netharness-faults-catalogue); on a live cluster, pass the id your lab switch understands or stop
 * the GM by hand during the hold.
 *
 *   npm run scenario ptp-gm-loss
 */
import { LIMITS, ptpFaultScenario, switchFault, type FaultId, type TestContext } from '../harness/index.ts';

export default ptpFaultScenario({
  name: 'ptp-gm-loss',
  description: 'grandmaster loss (announce timeout): slave port LISTENING, clock HOLDOVER/FREERUN, re-lock when the GM returns',
  degraded: {
    describe: 'slave port left SLAVE or clock unlocked',
    pred: (s) => (s.role !== undefined && s.role !== 'SLAVE') || (s.clockState !== undefined && s.clockState !== 'LOCKED'),
    limitS: LIMITS.faultyS,
  },
  async inject(t, _target, p) {
    // gmFault stays a free string: on a live cluster it may name a lab switch's id outside the catalogue (faults/)
    const gm = p.gmFault as FaultId;
    await switchFault(t as TestContext<unknown>, gm, 'on');
    return () => switchFault(t as TestContext<unknown>, gm, 'off');
  },
});
