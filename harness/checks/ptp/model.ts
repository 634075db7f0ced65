/**
 * What the PTP check reads and expects. PtpConfig fields: openshift/ptp-operator api/v1/ptpconfig_types.go
 * (profile[].interface, ptp4lOpts, phc2sysOpts, ts2phcOpts, ptp4lConf, ptpClockThreshold; status.matchList).
 */
import type { DaemonPod } from '../../ptp/cluster.ts';
import type { PtpMetrics, Role } from '../../ptp/metrics.ts';
import type { FaultKind } from '../../ptp/analyze.ts';

export const PTP_FINDINGS = {
  'daemon-pod-missing': 'a node the PtpConfig matchList selects has no linuxptp-daemon pod',
  'daemon-pod-not-ready': 'the linuxptp-daemon pod of a node is not Ready',
  'profile-unknown': "status.matchList names a profile that no PtpConfig's spec.profile defines",
  'metrics-unavailable': 'curl localhost:9091/metrics in linuxptp-daemon-container failed or returned no PTP metrics',
  'process-missing':
    'a process the profile needs (ptp4l; phc2sys when phc2sysOpts is set; ts2phc when ts2phcOpts is set) has no process_status',
  'process-down': 'openshift_ptp_process_status is 0 (DOWN) for a process the profile needs',
  'role-missing': 'no openshift_ptp_interface_role for an interface of the profile',
  'role-mismatch':
    'an interface role differs from the configured one (SLAVE for a slave port, MASTER for a masterOnly port; PASSIVE, or MASTER on a clock that is not slave-only, is healthy for a second port while another port of the profile is SLAVE)',
  'port-faulty': 'an interface of the profile is FAULTY (role 3)',
  'clock-state-missing': 'no openshift_ptp_clock_state for ptp4l (for a T-GM, whose ports are all masterOnly: for ts2phc)',
  'clock-not-locked': 'openshift_ptp_clock_state is not LOCKED (FREERUN or HOLDOVER)',
  'offset-out-of-range': "an offset outside the profile's [minOffsetThreshold, maxOffsetThreshold) (999999 marks a FAULTY port)",
  'clock-class-unexpected':
    "openshift_ptp_clock_class differs from the expected class (default 6: the daemon reports PARENT_DATA_SET gm.ClockClass, the grandmaster's class while the clock follows one, its own when it leads)",
  'sidecar-unavailable':
    'the cloud-event-proxy REST API v2 CurrentState of the node could not be read although the event publisher is enabled',
  'sidecar-state-mismatch': "the sidecar's CurrentState (lock-state, os-clock-sync-state) disagrees with the daemon's metrics",
  'os-clock-not-synced':
    "the sidecar's os-clock-sync-state is not LOCKED and no profile of the node runs phc2sys (phc2sysOpts empty): PTP does not discipline the system clock (CLOCK_REALTIME)",
  // with --since: what the daemon log of the window shows, though the clock may have recovered by now
  'log-process-restart':
    'with --since: the daemon log of the window shows a PTP process stopped or recreated (PTP_PROCESS_STATUS:0, Recreating ...)',
  'log-clock-jump': 'with --since: the daemon log of the window shows a clock jump (clockcheck) or a servo step after lock',
  'log-port-faulty': 'with --since: the daemon log of the window shows a port going to FAULTY',
  'log-holdover': 'with --since: the daemon log of the window shows a clock entering holdover',
  'log-tx-timeout': 'with --since: the daemon log of the window shows ptp4l timing out on a tx timestamp',
  'log-config-error': 'with --since: the daemon log of the window shows an interface or configuration error',
  'log-unavailable': 'with --since: the daemon container log of the window could not be read',
} as const;
export type PtpFindingKind = keyof typeof PTP_FINDINGS;

export interface ProfileSpec {
  name: string;
  /** interfaces of the profile: `interface` plus the port sections of ptp4lConf */
  interfaces: string[];
  ptp4lOpts: string;
  phc2sysOpts: string;
  ts2phcOpts: string;
  slaveOnly: boolean;
  /** ports with masterOnly 1 in ptp4lConf */
  masterPorts: string[];
  thresholds: { minOffsetNs: number; maxOffsetNs: number; holdOverTimeoutS: number };
}

export interface SidecarState {
  lockState?: string;
  osClockSyncState?: string;
  clockClass?: number;
  error?: string;
}

export interface PtpNodeObservation {
  node: string;
  pod?: DaemonPod;
  /** matchList profile names for this node */
  profileNames: string[];
  metrics?: PtpMetrics;
  metricsError?: string;
  sidecar?: SidecarState;
  /** with --since: the faults the daemon log of the window shows (harness/ptp/analyze.ts), or why it could not be read */
  log?: { sinceSeconds: number; faults: LogFault[]; error?: string };
}

/** One kind of fault the daemon log showed for one config (`ptp4l.0.config`), with how often and the first line. */
export interface LogFault {
  kind: FaultKind;
  config?: string;
  process?: string;
  count: number;
  first: string;
}

export interface PtpObserved {
  profiles: ProfileSpec[];
  nodes: PtpNodeObservation[];
  eventPublisher: boolean;
  /** daemon pods on nodes without a matched profile (not checked; counted) */
  unprofiledDaemonNodes: string[];
}

/** The role an interface of the profile should have. */
export function expectedRole(p: ProfileSpec, iface: string): Role {
  return p.masterPorts.includes(iface) ? 'MASTER' : 'SLAVE';
}

/**
 * The clock class a healthy node of this profile reports: 6. linuxptp-daemon's metric and CLOCK_CLASS_CHANGE line
 * carry `gm.ClockClass` of `pmc GET PARENT_DATA_SET` (openshift/linuxptp-daemon pkg/daemon/daemon.go
 * updateClockClass -> pmc.RunPMCExpGetParentDS -> UpdateClockClassMetrics), so an OC or BC locked to a class-6
 * grandmaster reports 6, a locked T-GM its own 6; a slave-only clock that lost its master reports its own 255, a
 * free-running BC 248, a grandmaster in holdover 7. Pass --clock-class for a network whose grandmaster announces another class.
 */
export function expectedClockClass(_p: ProfileSpec): number {
  return 6;
}

/** A profile whose every port is masterOnly has no port to follow a master with: a T-GM (its time source is ts2phc). */
export function isGrandmaster(p: ProfileSpec): boolean {
  return p.interfaces.length > 0 && p.interfaces.every((i) => p.masterPorts.includes(i));
}

const SKIP_SECTIONS = new Set(['global', 'unicast_master_table', 'nmea', 'ptp4l']);

/** Interpret one `spec.profile[]` entry. */
export function profileFromSpec(raw: Record<string, unknown>): ProfileSpec {
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : '');
  const conf = str('ptp4lConf');
  const sections = new Map<string, Map<string, string>>();
  let cur = 'global';
  for (const l of conf.split('\n')) {
    const line = l.replace(/#.*/, '').trim();
    if (!line) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      cur = sec[1].trim();
      if (!sections.has(cur)) sections.set(cur, new Map());
      continue;
    }
    const [k, ...v] = line.split(/\s+/);
    if (!sections.has(cur)) sections.set(cur, new Map());
    sections.get(cur)!.set(k, v.join(' '));
  }
  const global = sections.get('global') ?? new Map<string, string>();
  const ports = [...sections.keys()].filter((s) => !SKIP_SECTIONS.has(s));
  const ifaces = [...new Set([...(str('interface') ? [str('interface')] : []), ...ports])];
  const ptp4lOpts = str('ptp4lOpts');
  const slaveOnly = /(^|\s)-s(\s|$)/.test(ptp4lOpts) || global.get('slaveOnly') === '1' || global.get('clientOnly') === '1';
  const th = (raw.ptpClockThreshold ?? {}) as { minOffsetThreshold?: number; maxOffsetThreshold?: number; holdOverTimeout?: number };
  return {
    name: str('name'),
    interfaces: ifaces,
    ptp4lOpts,
    phc2sysOpts: str('phc2sysOpts'),
    ts2phcOpts: str('ts2phcOpts'),
    slaveOnly,
    masterPorts: ports.filter((p) => sections.get(p)?.get('masterOnly') === '1'),
    // CRD defaults: -100 / 100 ns, 5 s
    thresholds: {
      minOffsetNs: th.minOffsetThreshold ?? -100,
      maxOffsetNs: th.maxOffsetThreshold ?? 100,
      holdOverTimeoutS: th.holdOverTimeout ?? 5,
    },
  };
}

/** The metric `iface` alias: the port digit masked (ens1f0 -> ens1fx), cloud-event-proxy docs/configurations.md. */
export const ifaceAlias = (iface: string): string => iface.replace(/\d$/, 'x');
