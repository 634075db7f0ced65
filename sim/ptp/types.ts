/**
 * The state API of the emulated PTP stack (sim/ptp). Other parts of the sim (the cloud-event-proxy REST
 * API in event-proxy.ts, the PTP faults in faults*.ts) read the state and inject faults ONLY through the
 * `PtpSim` value published as ctx.services.ptp; they never reach into the emulator's classes.
 *
 * Model (one per node that has a matched PtpConfig profile, as linuxptp-daemon runs them):
 *   node -> profiles (in apply order) -> processes ptp4l / phc2sys / ts2phc, config `ptp4l.<N>.config`
 *   ptp4l -> ports (port 1.. per interface; port 0 is the UDS port) with a port state machine
 *            (richardcochran/linuxptp fsm.c, port.c), a servo (s0 unlocked, s1 jump, s2 locked; servo.h),
 *            a parent (the grandmaster it follows), its own clock class (DEFAULT_DATA_SET.clockClass)
 *   clock state per process as the daemon / cloud-event-proxy see it: LOCKED / HOLDOVER / FREERUN
 *            (openshift/linuxptp-daemon pkg/daemon/metrics.go; redhat-cne/cloud-event-proxy
 *            plugins/ptp_operator/metrics/manager.go: slave port lost -> HOLDOVER for holdOverTimeout s
 *            -> FREERUN; offset back within thresholds -> LOCKED).
 * Time: the emulator ticks once per emulated second (1000 / ctx.speed ms of wall time).
 */

/** Port states (linuxptp util.c ps_str). */
export type PortState =
  'INITIALIZING' | 'FAULTY' | 'DISABLED' | 'LISTENING' | 'PRE_MASTER' | 'MASTER' | 'PASSIVE' | 'UNCALIBRATED' | 'SLAVE' | 'GRAND_MASTER';

/** Port events (linuxptp util.c ev_str). */
export type PortEvent =
  | 'POWERUP'
  | 'INITIALIZE'
  | 'DESIGNATED_ENABLED'
  | 'DESIGNATED_DISABLED'
  | 'FAULT_CLEARED'
  | 'FAULT_DETECTED'
  | 'STATE_DECISION_EVENT'
  | 'QUALIFICATION_TIMEOUT_EXPIRES'
  | 'ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES'
  | 'SYNCHRONIZATION_FAULT'
  | 'MASTER_CLOCK_SELECTED'
  | 'INIT_COMPLETE'
  | 'RS_MASTER'
  | 'RS_GRAND_MASTER'
  | 'RS_SLAVE'
  | 'RS_PASSIVE';

/** linuxptp servo.h: 0 SERVO_UNLOCKED, 1 SERVO_JUMP, 2 SERVO_LOCKED, 3 SERVO_LOCKED_STABLE. */
export type ServoState = 0 | 1 | 2 | 3;

export type ClockState = 'FREERUN' | 'LOCKED' | 'HOLDOVER';

export type PtpProcessName = 'ptp4l' | 'phc2sys' | 'ts2phc';

/** `netharness sim --ptp <mode>`: which PtpConfigs the embedded cluster starts with. */
export type PtpMode = 'oc' | 'bc' | 'dual-nic' | 'none';
export const PTP_MODES: readonly PtpMode[] = ['oc', 'bc', 'dual-nic', 'none'];

export interface PortView {
  /** 1-based port number of the ptp4l instance (port 0, the UDS port, is not listed) */
  port: number;
  iface: string;
  state: PortState;
  linkUp: boolean;
  /** masterOnly 1 in the port's section of ptp4lConf */
  masterOnly: boolean;
  /** the port receives announces from a master (a GM or an upstream BC) */
  hasForeignMaster: boolean;
}

export interface ParentView {
  /** clockIdentity of the grandmaster, e.g. `001122.fffe.334455` */
  gmIdentity: string;
  gmClockClass: number;
  gmPriority1: number;
  /** portIdentity of the parent port, e.g. `001122.fffe.334455-1` */
  parentPortIdentity: string;
  stepsRemoved: number;
}

export interface Ptp4lView {
  /** `ptp4l.0.config` */
  config: string;
  profile: string;
  /** linuxptp clockIdentity of this ptp4l (derived from the first port's MAC) */
  clockIdentity: string;
  /** DEFAULT_DATA_SET.clockClass this clock announces: 255 slave-only, 6 locked BC/GM, 135/165 holdover, 248 free-run */
  clockClass: number;
  /**
   * the class linuxptp-daemon reports (openshift_ptp_clock_class, CLOCK_CLASS_CHANGE, the sidecar's clock-class): PARENT_DATA_SET
   * gm.ClockClass, i.e. the grandmaster's while the clock follows one (6 for an OC locked to a class-6 GM), else its own
   */
  reportedClockClass: number;
  slaveOnly: boolean;
  running: boolean;
  restarts: number;
  ports: PortView[];
  servo: ServoState;
  /** last `master offset` (ns), frequency adjustment (ppb) and path delay (ns) */
  offsetNs: number;
  freqPpb: number;
  pathDelayNs: number;
  /** the clock it follows; undefined while it is its own grandmaster or has no master */
  parent?: ParentView;
  /** lock state as the daemon / cloud-event-proxy report it for the slave interface */
  clockState: ClockState;
  /** the metric `iface` of the slave port (alias with the port digit masked, ens1f0 -> ens1fx) */
  metricIface?: string;
  /** emulated seconds since the slave port was lost (holdover clock), undefined when not in holdover */
  holdoverSeconds?: number;
  /** estimated phase error accumulated in holdover (ns): the local oscillator's seeded drift x time */
  holdoverPhaseErrorNs?: number;
  /** T-BC profiles: the state and offset of the daemon's last T-BC-STATUS state change (what cloud-event-proxy exports) */
  tbc?: { state: ClockState; offsetNs: number };
}

export interface ProcessView {
  process: PtpProcessName;
  /** the config tag the process logs with: phc2sys follows its ptp4l (`ptp4l.0.config`), ts2phc `ts2phc.0.config` */
  config: string;
  profile: string;
  running: boolean;
  restarts: number;
  /** phc2sys: CLOCK_REALTIME; ts2phc: the PHC / iface it disciplines */
  iface: string;
  servo: ServoState;
  offsetNs: number;
  freqPpb: number;
  clockState: ClockState;
}

export interface ProfileThresholds {
  minOffsetNs: number;
  maxOffsetNs: number;
  holdOverTimeoutS: number;
}

export interface NodePtpView {
  node: string;
  /** profile names applied on the node, in apply order (config index N = position) */
  profiles: string[];
  thresholds: Record<string, ProfileThresholds>;
  ptp4l: Ptp4lView[];
  /** phc2sys and ts2phc instances */
  processes: ProcessView[];
  /** the daemon pod running the processes (undefined while none runs on the node) */
  daemonPod?: string;
}

/** A change the emulator made, in order (for events, subscriptions, tests). */
export type PtpStateChange =
  | { kind: 'port'; node: string; config: string; port: number; iface: string; from: PortState; to: PortState; event: PortEvent }
  | { kind: 'clock-state'; node: string; process: PtpProcessName; config: string; iface: string; from: ClockState; to: ClockState }
  | { kind: 'clock-class'; node: string; config: string; from: number; to: number }
  | { kind: 'process'; node: string; process: PtpProcessName; config: string; up: boolean }
  | { kind: 'profiles'; node: string; profiles: string[] };

/** The emulated upstream grandmaster (an external T-GM feeding the cluster's slave ports). */
export interface GrandmasterView {
  clockIdentity: string;
  clockClass: number;
  priority1: number;
  /** false while announces are stopped (the GM is gone for its slaves) */
  announcing: boolean;
}

/**
 * Fault hooks (sim/ptp/faults*.ts calls them). Each returns false when the target does not exist
 * (unknown node / interface / process), true when applied. Effects follow linuxptp's behaviour: the
 * emulator writes the log lines, changes the metrics, the pmc datasets and the clock states.
 */
export interface PtpFaultHooks {
  /** `ip link set <iface> down|up` on the node: `port N (iface): link down`, SLAVE to FAULTY on FAULT_DETECTED ... */
  setLink(node: string, iface: string, up: boolean): boolean;
  /** the process dies (PTP_PROCESS_STOPPED / status 0); the daemon recreates it after its restart delay unless `restart` is false */
  killProcess(node: string, process: PtpProcessName, opts?: { config?: string; restart?: boolean }): boolean;
  /** starts a process stopped with restart false */
  startProcess(node: string, process: PtpProcessName, opts?: { config?: string }): boolean;
  /** the upstream grandmaster stops / resumes sending announces (GM loss) */
  setGrandmasterAnnounces(on: boolean): void;
  /** the upstream grandmaster announces another clock class (6 locked, 7 holdover in-spec, 248 free-run, ...) */
  setGrandmasterClockClass(clockClass: number): void;
  /** ptp4l on the node times out polling for tx timestamps on `iface` (port goes FAULTY, resets after fault_reset_interval) */
  setTxTimestampTimeouts(node: string, iface: string, on: boolean): boolean;
  /** extra offset noise (ns, standard deviation) on every process of the node: CPU contention, chronyd fighting phc2sys */
  setOffsetJitter(node: string, process: PtpProcessName | 'all', sigmaNs: number): boolean;
  /** a clock step (TimeChaos): the offset jumps by `ns`; the servo steps (s1) and relocks; clockcheck lines */
  clockJump(node: string, ns: number): boolean;
  /** write a raw line into the node's daemon container log (for faults whose text the emulator does not produce) */
  daemonLog(node: string, line: string): boolean;
  /** a `<process>[<monotonic>]: [<config>:<level>] <text>` line in the node's daemon log, on the node's monotonic clock */
  processLog(node: string, process: PtpProcessName, config: string, level: number, text: string): boolean;
  /**
   * the daemon's clock state machine does not leave HOLDOVER on the node: no FREERUN after holdOverTimeout, no LOCKED when
   * the slave port re-locks (the holdover timer / offset-in-range transition never fires)
   */
  setHoldoverStuck(node: string, on: boolean): boolean;
  /**
   * the daemon stops applying the node's profile updates (it keeps the processes and /var/run configs of the profiles it
   * has); switched off, it applies what the PtpConfigs say now
   */
  setProfilesFrozen(node: string, on: boolean): boolean;
}

export interface PtpSim {
  mode: PtpMode;
  /** PtpOperatorConfig default .spec.ptpEventConfig.enableEventPublisher (re-read when it changes) */
  eventPublisher(): boolean;
  grandmaster(): GrandmasterView;
  nodes(): NodePtpView[];
  node(name: string): NodePtpView | undefined;
  /** subscribe to state changes; returns the unsubscribe function */
  onChange(fn: (c: PtpStateChange) => void): () => void;
  /** the node's /metrics text as linuxptp-daemon serves it (encoding per the event-publisher flag) */
  metricsText(node: string): string | undefined;
  faults: PtpFaultHooks;
  /**
   * A server on the node's host network (the daemon pod is hostNetwork): `curl` in the daemon container
   * reaches `localhost:<port>` through it (9091 /metrics is built in). For the cloud-event-proxy API (9043).
   */
  registerLocalHttp(port: number, handler: LocalHttpHandler): () => void;
}

export type LocalHttpHandler = (req: {
  node: string;
  method: string;
  path: string;
  body?: string;
}) => Promise<{ status: number; body: string; contentType?: string }>;
