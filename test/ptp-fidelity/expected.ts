/**
 * What real ptp4l prints for the slave-only port in each phase (captured from linuxptp 3.1.1 and checked
 * against linuxptp fsm.c ptp_slave_fsm() and port.c port_link_status(): the data the comparison uses to
 * tell a changed linuxptp from a broken emulator). The test runs the real ptp4l every time and asserts
 * it still does this, then asserts the emulator does the same.
 */
import type { Phase } from './sequence.ts';

export const EXPECTED_SLAVE_STEPS: Record<Phase, string[]> = {
  // INITIALIZING to LISTENING on INIT_COMPLETE comes first; then BMC selects the master (RS_SLAVE) and the
  // servo locks (MASTER_CLOCK_SELECTED)
  startup: [
    'INITIALIZING to LISTENING on INIT_COMPLETE',
    'LISTENING to UNCALIBRATED on RS_SLAVE',
    'UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED',
  ],
  linkDown: ['link down', 'SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)'],
  linkUp: [
    'link up',
    'FAULTY to LISTENING on INIT_COMPLETE',
    'LISTENING to UNCALIBRATED on RS_SLAVE',
    'UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED',
  ],
  // slaveOnly: no MASTER to go to, the port listens (fsm.c ptp_slave_fsm)
  announceStop: ['SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES'],
};

/** The step that ends each phase. */
export const PHASE_END: Record<Phase, string> = {
  startup: 'UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED',
  linkDown: 'SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)',
  linkUp: 'UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED',
  announceStop: 'SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES',
};
