/**
 * ptp-process-kill: kill ptp4l in the linuxptp-daemon container (`pkill -TERM ptp4l`, as the conformance
 * suite kills ts2phc); the daemon logs PTP_PROCESS_STATUS:0 and `Recreating ptp4l...` and restarts it, the
 * clock re-locks. Asserts the process goes down / the clock unlocks, then SLAVE and LOCKED in range again.
 *
 *   npm run scenario ptp-process-kill
 */
import { LIMITS, execInDaemon, ptpFaultScenario } from '../harness/index.ts';

export default ptpFaultScenario({
  name: 'ptp-process-kill',
  description: 'kill ptp4l in linuxptp-daemon-container: process down / clock unlocked, daemon restarts it, SLAVE and LOCKED again',
  degraded: {
    describe: 'ptp4l down or clock unlocked',
    pred: (s) =>
      s.processes.ptp4l === false ||
      (s.clockState !== undefined && s.clockState !== 'LOCKED') ||
      (s.role !== undefined && s.role !== 'SLAVE'),
    limitS: LIMITS.processS,
  },
  async inject(t, target) {
    await execInDaemon(t.cluster, target, ['pkill', '-TERM', 'ptp4l']);
    return undefined;
  },
});
