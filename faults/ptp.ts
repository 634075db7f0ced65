/**
 * The faults of the emulated PTP stack (sim/ptp): what cannot be done to a node the way a user does it on a
 * live cluster (the grandmaster is another box, a NIC driver bug, a daemon bug). The faults a user injects
 * directly are not here: `ip link set <if> down` in a debug pod (slave link down, holdover expiry), `pkill`
 * in linuxptp-daemon-container (process killed), a PtpConfig edit (an interface without the timestamping
 * mode, empty phc2sysOpts), Chaos Mesh StressChaos / TimeChaos on the daemon pod (CPU contention, clock
 * jump). Declarative only: the hooks that act on these ids live in sim/ptp/faults.ts.
 * Sources: linuxptp (richardcochran/linuxptp port.c, sk.c, clockcheck.c), openshift/linuxptp-daemon
 * (pkg/daemon/daemon.go, metrics.go), redhat-cne/cloud-event-proxy (plugins/ptp_operator/metrics).
 */
import { defineFaults } from './types.ts';

const NODE_PARAM = { node: 'only on this node; default: every PTP node' };

export const ptpFaults = defineFaults({
  'ptp-grandmaster-loss': {
    kind: 'operational',
    failureClass: 'grandmaster loss / announce timeout',
    upstream: 'openshift/ptp-operator test/conformance/serial/ptp.go "Remove Grandmaster"; linuxptp fsm.c ptp_slave_fsm()',
    title: 'The grandmaster stops announcing',
    description:
      'The emulated grandmaster upstream of the ordinary clocks sends no more Announce/Sync: slave ports time out (ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES).',
    trigger: 'Switch on; nothing else needed.',
    symptom: {
      logs: [
        'port 1 (ens1f0): SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES (slave-only) or LISTENING to MASTER + "assuming the grand master role" (BC)',
        'no more "master offset" lines from that ptp4l',
      ],
      api: 'openshift_ptp_interface_role 5 (LISTENING), clock_state HOLDOVER (2) then FREERUN (0) after holdOverTimeout; lock-state events HOLDOVER, FREERUN; clock class 255 on a slave-only ordinary clock (unchanged), 135 then 248 on a boundary clock in holdover then free-run',
    },
    heal: 'Switch off: the port hears the grandmaster again (LISTENING to UNCALIBRATED on RS_SLAVE, UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED) and re-locks.',
  },
  'ptp-gm-clock-class-degraded': {
    kind: 'operational',
    failureClass: 'clock class degradation',
    upstream: 'ITU-T G.8275.1 clockClass values; linuxptp-daemon OCPBUGS-43510 / PR #371; cloud-event-proxy ptp-clock-class-change',
    title: 'The grandmaster announces a degraded clock class',
    description:
      'The grandmaster lost its own reference (GNSS) and announces clockClass 7 (holdover in spec) or the given class; followers keep tracking it.',
    trigger: 'Switch on ("on" = 7, or {"class": 248}).',
    symptom: {
      logs: ['CLOCK_CLASS_CHANGE <class> daemon lines'],
      api: 'openshift_ptp_clock_class <class>; PARENT_DATA_SET gm.ClockClass <class>; ptp-clock-class-change event with the class',
    },
    heal: 'Switch off: class 6 again, another ptp-clock-class-change event.',
    params: { class: 'announced clockClass (default 7)' },
  },
  'ptp-tx-timestamp-timeout': {
    kind: 'bug',
    failureClass: 'tx timestamp timeouts',
    upstream:
      'linuxptp sk.c sk_receive() "timed out while polling for tx timestamp"; openshift-docs PRs #48000 / #46129 (tx_timestamp_timeout 50 for E810); BZ 2095782',
    title: 'NIC driver misses TX timestamps',
    description:
      'The NIC driver does not return TX timestamps within tx_timestamp_timeout: ptp4l faults the port, clears the fault ~16 s later and re-syncs, again and again (flapping roles).',
    trigger: 'Switch on; the port faults every ~30 s (sim time) while on.',
    symptom: {
      logs: [
        'timed out while polling for tx timestamp',
        'increasing tx_timestamp_timeout or increasing kworker priority may correct this issue, but a driver bug likely causes it',
        'port 1 (ens1f0): send delay request failed',
        'port 1 (ens1f0): SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)',
        'port 1 (ens1f0): FAULTY to LISTENING on INIT_COMPLETE',
      ],
      api: 'openshift_ptp_interface_role flapping 3 / 1; offset 999999 while FAULTY; lock-state events HOLDOVER / LOCKED',
    },
    heal: 'Switch off: no more timeouts; the next re-sync stays.',
    params: NODE_PARAM,
  },
  'ptp-chronyd-running': {
    kind: 'operational',
    failureClass: 'chronyd fighting phc2sys',
    upstream:
      'openshift-kni/cnf-features-deploy #522; openshift/linuxptp-daemon PR #37; openshift-docs PR #36867 (disable chronyd via MachineConfig)',
    title: 'chronyd runs next to phc2sys',
    description:
      'chronyd was not disabled on the node: two writers steer CLOCK_REALTIME, phc2sys sees periodic offset bursts (and clockcheck frequency warnings).',
    trigger: 'Switch on.',
    symptom: {
      logs: [
        'phc2sys CLOCK_REALTIME phc offset bursts of tens of microseconds, s2 <-> s0',
        'clockcheck: clock frequency changed unexpectedly!',
      ],
      api: 'openshift_ptp_offset_ns{from="phc",process="phc2sys"} out of range in bursts; os-clock-sync-state LOCKED <-> FREERUN events',
    },
    heal: 'Switch off (chronyd disabled): phc2sys offsets settle.',
    params: NODE_PARAM,
  },
  'ptp-sidecar-stale-after-restart': {
    kind: 'bug',
    failureClass: 'stale sidecar state after cloud-event-proxy restart',
    upstream: 'OCP 4.22.2 release note (openshift-docs PR #114031); OCPBUGS-77871 / linuxptp-daemon PR #570; linuxptp-daemon issue #369',
    title: 'cloud-event-proxy keeps a stale state after it restarts',
    description:
      'After the cloud-event-proxy container restarts it never re-learns the state: lock-state, os-clock-sync-state stay FREERUN and the clock class 248 though ptp4l is locked.',
    trigger: 'Switch on, then restart the cloud-event-proxy container (Chaos Mesh container-kill, or delete the linuxptp-daemon pod).',
    symptom: {
      api: 'GET .../sync/ptp-status/lock-state/CurrentState says FREERUN while openshift_ptp_clock_state is 1 and ptp4l logs s2 offsets in range',
    },
    heal: 'Switch off: the sidecar re-reads the state (events with the real state are published).',
    params: NODE_PARAM,
  },
  'ptp-port-stays-faulty': {
    kind: 'operational',
    failureClass: 'slave link down / NIC port fault',
    upstream: 'openshift/ptp-operator test/conformance/serial/ptp.go (SLAVE within 5 min of link up); OCPBUGS-29024 / 29102',
    title: 'NIC port does not come back after link up',
    description:
      'A bad transceiver or NIC firmware: after its link went down, the port loses carrier again right after every link up, so ptp4l keeps faulting it.',
    trigger: 'Switch on, then take the slave link down (ip link set <if> down) and up again.',
    symptom: {
      logs: [
        'port 1 (ens1f0): link up, FAULTY to LISTENING on INIT_COMPLETE, then at once link down and LISTENING to FAULTY on FAULT_DETECTED',
      ],
      api: 'openshift_ptp_interface_role 3 stays; clock_state HOLDOVER then FREERUN; no SLAVE within the conformance limit',
    },
    heal: 'Switch off (the transceiver replaced): the carrier of the ports it dropped returns and they re-lock.',
    params: NODE_PARAM,
  },
  'ptp-process-no-restart': {
    kind: 'bug',
    failureClass: 'process crash/termination',
    upstream: 'OCPBUGS-35587 / linuxptp-daemon PR #336 (ts2phc kill caused FREERUN without recovery)',
    title: 'linuxptp-daemon does not restart a killed process',
    description:
      'A killed ptp4l / phc2sys / ts2phc stays down (the daemon cancels its restart): PTP_PROCESS_STOPPED / status 0 and no recovery.',
    trigger: 'Switch on, then kill a process (pkill -TERM ptp4l in linuxptp-daemon-container).',
    symptom: {
      logs: ['PTP_PROCESS_STATUS:0 without a following Recreating'],
      api: 'openshift_ptp_process_status 0 stays; clock_state FREERUN',
    },
    heal: 'Switch off: the daemon recreates the process at its next check.',
    params: NODE_PARAM,
  },
  'ptp-holdover-stuck': {
    kind: 'bug',
    failureClass: 'clock state stuck in HOLDOVER',
    upstream:
      'linuxptp-daemon OCPBUGS-43510 / PR #371 (wrong holdover transitions); holdover timer of redhat-cne/cloud-event-proxy plugins/ptp_operator/metrics/manager.go',
    title: "The daemon's clock state never leaves HOLDOVER",
    description:
      'Once the slave port is lost the clock goes to HOLDOVER and stays there: no FREERUN after holdOverTimeout, and no LOCKED when the port re-locks to the grandmaster; the holdover phase error keeps growing.',
    trigger: 'Switch on, then lose the slave port (grandmaster loss, or ip link set <if> down) long enough to enter HOLDOVER.',
    symptom: {
      logs: ['ptp4l logs s2 "master offset" lines in range again after the port is back, yet no LOCKED state change follows'],
      api: 'openshift_ptp_clock_state 2 (HOLDOVER) stays while openshift_ptp_interface_role is 1 (SLAVE) and the offsets are in range; lock-state CurrentState HOLDOVER, no LOCKED event',
    },
    heal: 'Switch off: the next in-range sample moves the clock to LOCKED (a LOCKED lock-state event).',
    params: NODE_PARAM,
  },
  'ptp-stale-profile': {
    kind: 'bug',
    failureClass: 'stale profile: a PtpConfig change not applied',
    upstream:
      "OCPBUGS-31698 (processes of changed/deleted profiles lingering); the daemon applies the node's profiles from ConfigMap ptp-configmap (openshift/linuxptp-daemon pkg/daemon/config.go, main.go)",
    title: 'linuxptp-daemon keeps running the profile it applied before',
    description:
      'The daemon stops applying profile updates on the node: after a PtpConfig edit status.matchList and spec show the new profile, but the processes, their command lines and /var/run/ptp4l.N.config stay the old ones. A restart of the daemon pod applies the current profile.',
    trigger: 'Switch on, then edit the PtpConfig (or delete a profile).',
    symptom: {
      logs: ['no "in applyNodePTPProfiles" / "Profile Name:" lines after the edit'],
      api: '`cat /var/run/ptp4l.0.config` and the metrics (interface_role, process_status) show the old profile; check ptp compares them with the new profile (role-missing, process-missing)',
    },
    heal: 'Switch off: the daemon applies the current profiles (in applyNodePTPProfiles, the processes restart with the new config).',
    params: NODE_PARAM,
  },
});
