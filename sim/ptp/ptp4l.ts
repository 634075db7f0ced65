/**
 * One emulated ptp4l instance (richardcochran/linuxptp): ports with the port state machine of fsm.c /
 * port.c, the BMCA outcome (a port with a foreign master becomes the slave; masterOnly ports and a clock
 * without a master become MASTER), the servo (s0 -> s1 step -> s2 locked) with a seeded noise model, and
 * the lines it prints with the daemon's message tag `[ptp4l.<N>.config:<level>]`:
 *   port N (iface): FROM to TO on EVENT[ (FAULT)]   (port.c port_dispatch; level 5, FAULTY with FT_UNSPECIFIED)
 *   port N (iface): link down|link up               (port.c)
 *   master offset %10d s%d freq %+7.0f path delay %9d   (clock.c, per sample when summary_interval <= logSyncInterval)
 *   rms %4.0f max %4.0f freq %+6.0f +/- %3.0f delay %5.0f +/- %3.0f   (clock.c, summary otherwise)
 *   new foreign master / selected best master clock / selected local clock ... as best master /
 *   assuming the grand master role / timed out while polling for tx timestamp (sk.c) /
 *   clockcheck: clock jumped forward or running faster than expected! (clockcheck.c)
 * Clock state and class follow openshift/linuxptp-daemon and cloud-event-proxy (see types.ts).
 */
import { Noise } from './noise.ts';
import type { Ptp4lSettings } from './conf.ts';
import type { ClockState, ParentView, PortEvent, PortState, ProfileThresholds, PtpStateChange, ServoState } from './types.ts';

/** What arrives on a link: announces (and sync) of a master. */
export interface Upstream {
  gmIdentity: string;
  gmClockClass: number;
  gmPriority1: number;
  parentPortIdentity: string;
  stepsRemoved: number;
}

export interface LinkEnv {
  linkUp(iface: string): boolean;
  /** the master heard on the link, undefined when none announces */
  upstream(iface: string): Upstream | undefined;
  txTimeouts(iface: string): boolean;
  jitterNs(): number;
  /** the daemon's state machine is stuck in HOLDOVER (fault ptp-holdover-stuck) */
  holdoverStuck?(): boolean;
}

export interface PortRt {
  port: number;
  iface: string;
  masterOnly: boolean;
  state: PortState;
  linkUp: boolean;
  /** seconds with announces from the current foreign master */
  heard: number;
  /** seconds without announces */
  silent: number;
  /** seconds left before a fault clears (tx timestamp fault) */
  faultLeft?: number;
  /** seconds in PRE_MASTER */
  pre?: number;
  upstream?: Upstream;
}

export const ifaceAlias = (iface: string): string => iface.replace(/\d$/, 'x');

const pad = (n: number, w: number): string => String(n).padStart(w);
const sign = (n: number, w: number): string => {
  const s = `${n >= 0 ? '+' : '-'}${Math.abs(Math.round(n))}`;
  return s.padStart(w);
};

export class Ptp4l {
  readonly ports: PortRt[];
  servo: ServoState = 0;
  offsetNs = 0;
  freqPpb: number;
  pathDelayNs: number;
  clockClass: number;
  clockState: ClockState = 'FREERUN';
  holdoverSince?: number;
  parent?: ParentView;
  /** servo samples since the slave port went UNCALIBRATED */
  private uncal = 0;
  private jump?: number;
  private readonly baseFreq: number;
  private readonly baseDelay: number;
  private summary: { n: number; sum2: number; max: number; freqs: number[]; delays: number[] } = {
    n: 0,
    sum2: 0,
    max: 0,
    freqs: [],
    delays: [],
  };
  private sinceSummary = 0;
  private reportedClass?: number;
  /** the ts2phc of the same profile is locked (undefined: the profile has none) */
  timeSourceLocked?: boolean;
  /** ppb the free-running PHC drifts by in holdover (seeded per instance) */
  private readonly driftPpb: number;
  holdoverPhaseErrorNs?: number;
  private t = 0;
  private stuck = false;

  constructor(
    readonly config: string,
    readonly profile: string,
    readonly settings: Ptp4lSettings,
    readonly clockIdentity: string,
    readonly thresholds: ProfileThresholds,
    private readonly noise: Noise,
    private readonly out: (level: number, msg: string) => void,
    private readonly change: (c: PtpStateChange) => void,
    private readonly node: string,
  ) {
    this.ports = settings.ports.map((p, i) => ({
      port: i + 1,
      iface: p.iface,
      masterOnly: p.masterOnly,
      state: 'INITIALIZING',
      linkUp: true,
      heard: 0,
      silent: 0,
    }));
    this.baseFreq = Math.round(noise.range(-25000, 25000));
    this.baseDelay = Math.round(noise.range(480, 1600));
    this.freqPpb = this.baseFreq;
    this.pathDelayNs = this.baseDelay;
    this.clockClass = settings.clockClass;
    this.driftPpb = noise.range(0.5, 5) * (noise.next() < 0.5 ? -1 : 1);
  }

  get slavePort(): PortRt | undefined {
    return this.ports.find((p) => p.state === 'SLAVE' || p.state === 'UNCALIBRATED');
  }

  /** the metric iface (alias) of the port that follows a master (or would) */
  get metricIface(): string | undefined {
    const p = this.slavePort ?? this.ports.find((x) => !x.masterOnly);
    return p ? ifaceAlias(p.iface) : undefined;
  }

  private name(p: PortRt): string {
    return `port ${p.port} (${p.iface})`;
  }

  private go(p: PortRt, to: PortState, event: PortEvent, fault?: string): void {
    const from = p.state;
    if (from === to) return;
    p.state = to;
    this.out(5, `${this.name(p)}: ${from} to ${to} on ${event}${fault ? ` (${fault})` : ''}`);
    this.change({ kind: 'port', node: this.node, config: this.config, port: p.port, iface: p.iface, from, to, event });
  }

  /** Power-up: INITIALIZING to LISTENING on every port and the UDS port 0 (port.c). */
  start(): void {
    for (const p of this.ports) {
      this.go(p, 'LISTENING', 'INIT_COMPLETE');
    }
    this.out(5, `port 0 (/var/run/${this.config.replace('.config', '.socket')}): INITIALIZING to LISTENING on INIT_COMPLETE`);
  }

  /** A TimeChaos / clock step: the next sample sees the offset, the servo resets (clockcheck). */
  stepClock(ns: number): void {
    this.jump = ns;
  }

  private announceTimeoutS(): number {
    return this.settings.announceReceiptTimeout * 2 ** this.settings.logAnnounceInterval;
  }

  /** One emulated second. */
  tick(env: LinkEnv, now: number): void {
    this.t = now;
    this.stuck = env.holdoverStuck?.() ?? false;
    const hasParentPort = (): boolean => this.ports.some((x) => x.state === 'SLAVE' || x.state === 'UNCALIBRATED');
    for (const p of this.ports) {
      const up = env.linkUp(p.iface);
      if (up !== p.linkUp) {
        p.linkUp = up;
        this.out(5, `${this.name(p)}: link ${up ? 'up' : 'down'}`);
        if (!up) this.go(p, 'FAULTY', 'FAULT_DETECTED', 'FT_UNSPECIFIED');
        else if (p.state === 'FAULTY') {
          p.faultLeft = undefined;
          this.go(p, 'LISTENING', 'INIT_COMPLETE');
        }
        p.heard = 0;
        p.silent = 0;
      }
      if (!p.linkUp) continue;
      if (p.state === 'FAULTY') {
        if (p.faultLeft !== undefined && --p.faultLeft <= 0) {
          p.faultLeft = undefined;
          this.go(p, 'LISTENING', 'INIT_COMPLETE');
          p.heard = 0;
          p.silent = 0;
        }
        continue;
      }
      const u = p.masterOnly ? undefined : env.upstream(p.iface);
      if (u) {
        p.silent = 0;
        if (p.heard === 0 && (p.state === 'LISTENING' || p.state === 'MASTER'))
          this.out(6, `${this.name(p)}: new foreign master ${u.parentPortIdentity}`);
        p.heard++;
        p.upstream = u;
      } else {
        p.silent++;
        p.heard = 0;
      }
      switch (p.state) {
        case 'LISTENING':
          if (u && p.heard >= 3 && !hasParentPort()) {
            this.out(6, `selected best master clock ${u.gmIdentity}`);
            this.go(p, 'UNCALIBRATED', 'RS_SLAVE');
            this.uncal = 0;
            this.servo = 0;
          } else if (u && p.heard >= 3 && !p.masterOnly) {
            // the same master on a second port: the BMCA keeps it as a backup (dual-port follower)
            this.go(p, 'PASSIVE', 'RS_PASSIVE');
          } else if (p.masterOnly && hasParentPort()) {
            this.go(p, 'PRE_MASTER', 'RS_MASTER');
            p.pre = 0;
          } else if (!u && !this.settings.slaveOnly && p.silent >= this.announceTimeoutS()) {
            this.go(p, 'MASTER', 'ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES');
            if (!hasParentPort()) this.becomeGrandmaster(p);
          }
          break;
        case 'PASSIVE':
          if (u && !hasParentPort()) {
            // the slave port is gone: the backup port takes over
            this.go(p, 'UNCALIBRATED', 'RS_SLAVE');
            this.uncal = 0;
            this.servo = 0;
          } else if (!u && p.silent >= this.announceTimeoutS()) this.go(p, 'LISTENING', 'ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES');
          break;
        case 'PRE_MASTER':
          if ((p.pre = (p.pre ?? 0) + 1) >= 1) this.go(p, 'MASTER', 'QUALIFICATION_TIMEOUT_EXPIRES');
          break;
        case 'MASTER':
          // a better master appears on a non-masterOnly port: become its slave
          if (u && p.heard >= 3 && !p.masterOnly && !hasParentPort()) {
            this.out(6, `selected best master clock ${u.gmIdentity}`);
            this.go(p, 'UNCALIBRATED', 'RS_SLAVE');
            this.uncal = 0;
            this.servo = 0;
          }
          break;
        case 'UNCALIBRATED':
        case 'SLAVE':
          if (!u && p.silent >= this.announceTimeoutS()) {
            this.servo = 0;
            if (this.settings.slaveOnly) this.go(p, 'LISTENING', 'ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES');
            else {
              this.go(p, 'MASTER', 'ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES');
              this.becomeGrandmaster(p);
            }
          } else if (u) this.sample(p, u, env);
          break;
        default:
          break;
      }
    }
    // masterOnly ports of a clock that lost its parent stay MASTER (it is now its own GM)
    this.updateParent();
    this.updateClock();
  }

  /** the BMCA picked the local clock (printed once per decision, then one line per port taking the role) */
  private selfGm = false;

  private becomeGrandmaster(p: PortRt): void {
    if (!this.selfGm) this.out(6, `selected local clock ${this.clockIdentity} as best master`);
    this.selfGm = true;
    this.out(6, `${this.name(p)}: assuming the grand master role`);
  }

  private sample(p: PortRt, u: Upstream, env: LinkEnv): void {
    if (env.txTimeouts(p.iface)) {
      this.out(3, 'timed out while polling for tx timestamp');
      this.out(
        3,
        'increasing tx_timestamp_timeout or increasing kworker priority may correct this issue, but a driver bug likely causes it',
      );
      this.out(3, `${this.name(p)}: send delay request failed`);
      this.servo = 0;
      this.go(p, 'FAULTY', 'FAULT_DETECTED', 'FT_UNSPECIFIED');
      p.faultLeft = 2 ** this.settings.faultResetInterval;
      return;
    }
    const n = this.noise;
    const sigma = 4 + env.jitterNs();
    let offset: number;
    if (this.jump !== undefined) {
      const j = this.jump;
      this.jump = undefined;
      this.out(4, `clockcheck: clock jumped ${j >= 0 ? 'forward or running faster' : 'backward or running slower'} than expected!`);
      if (p.state === 'SLAVE') this.go(p, 'UNCALIBRATED', 'SYNCHRONIZATION_FAULT');
      this.uncal = 0;
      this.servo = 0;
      offset = Math.round(j);
      this.line(offset, 0);
      this.uncal = 1;
      return;
    }
    if (p.state === 'UNCALIBRATED') {
      if (this.uncal === 0) {
        offset = Math.round(n.range(-9000, 9000));
        this.servo = 0;
      } else if (this.uncal === 1) {
        offset = Math.round(this.offsetNs * n.range(0.6, 0.95));
        this.servo = 1;
      } else {
        offset = Math.round(n.gauss() * sigma);
        this.servo = 2;
      }
      this.uncal++;
      this.line(offset, this.servo);
      if (this.servo === 2) this.go(p, 'SLAVE', 'MASTER_CLOCK_SELECTED');
      return;
    }
    offset = Math.round(n.gauss() * sigma);
    this.servo = 2;
    this.line(offset, 2);
    void u;
  }

  private line(offset: number, servo: ServoState): void {
    const n = this.noise;
    this.offsetNs = offset;
    this.freqPpb = Math.round(this.baseFreq + (servo === 2 ? n.gauss() * 3 : 0) + (servo === 0 ? 0 : offset / 10));
    this.pathDelayNs = Math.round(this.baseDelay + n.gauss() * 2);
    const perSecond = 2 ** Math.max(0, -this.settings.logSyncInterval);
    const summaryEvery = 2 ** Math.max(0, this.settings.summaryInterval - this.settings.logSyncInterval);
    if (summaryEvery <= 1 || servo !== 2) {
      this.out(6, `master offset ${pad(offset, 10)} s${servo} freq ${sign(this.freqPpb, 7)} path delay ${pad(this.pathDelayNs, 9)}`);
      return;
    }
    const s = this.summary;
    for (let i = 0; i < perSecond; i++) {
      const o = i === 0 ? offset : Math.round(n.gauss() * (4 + 0));
      s.n++;
      s.sum2 += o * o;
      s.max = Math.max(s.max, Math.abs(o));
      s.freqs.push(this.freqPpb);
      s.delays.push(this.pathDelayNs);
    }
    if (s.n >= summaryEvery) {
      const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
      const sd = (a: number[]): number => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
      const rms = Math.sqrt(s.sum2 / s.n);
      this.out(
        6,
        `rms ${pad(Math.round(rms), 4)} max ${pad(s.max, 4)} freq ${sign(mean(s.freqs), 6)} +/- ${pad(Math.round(sd(s.freqs)), 3)} delay ${pad(Math.round(mean(s.delays)), 5)} +/- ${pad(Math.round(sd(s.delays)), 3)}`,
      );
      this.summary = { n: 0, sum2: 0, max: 0, freqs: [], delays: [] };
    }
    this.sinceSummary++;
  }

  private updateParent(): void {
    const sp = this.ports.find((p) => p.state === 'SLAVE' || p.state === 'UNCALIBRATED');
    if (sp?.upstream) {
      this.selfGm = false;
      const u = sp.upstream;
      this.parent = {
        gmIdentity: u.gmIdentity,
        gmClockClass: u.gmClockClass,
        gmPriority1: u.gmPriority1,
        parentPortIdentity: u.parentPortIdentity,
        stepsRemoved: u.stepsRemoved,
      };
    } else this.parent = undefined;
  }

  /** lock state (cloud-event-proxy semantics) and the clock class the node announces */
  private updateClock(): void {
    const th = this.thresholds;
    const sp = this.ports.find((p) => p.state === 'SLAVE');
    const inRange = this.offsetNs > th.minOffsetNs && this.offsetNs < th.maxOffsetNs;
    let next: ClockState;
    // a grandmaster (every port masterOnly) is as good as its time source: ts2phc locked to GNSS / 1PPS
    const gmLocked = this.ports.every((p) => p.masterOnly) && this.timeSourceLocked === true;
    if (this.stuck && this.clockState === 'HOLDOVER') {
      // the daemon's state machine never leaves HOLDOVER (fault ptp-holdover-stuck): the phase error keeps growing
      next = 'HOLDOVER';
      this.holdoverSince ??= this.t;
      this.holdoverPhaseErrorNs = Math.round(this.driftPpb * (this.t - this.holdoverSince));
    } else if ((sp && this.servo >= 2 && inRange) || gmLocked) {
      next = 'LOCKED';
      this.holdoverPhaseErrorNs = undefined;
      this.holdoverSince = undefined;
    } else if (this.clockState === 'LOCKED' || this.clockState === 'HOLDOVER') {
      this.holdoverSince ??= this.t;
      next = this.t - this.holdoverSince < th.holdOverTimeoutS ? 'HOLDOVER' : 'FREERUN';
      // phase error = drift x time in holdover (a first-order oscillator model)
      this.holdoverPhaseErrorNs = Math.round(this.driftPpb * (this.t - this.holdoverSince));
      if (next === 'FREERUN') this.holdoverSince = undefined;
    } else next = 'FREERUN';
    if (next !== this.clockState) {
      const from = this.clockState;
      this.clockState = next;
      this.change({
        kind: 'clock-state',
        node: this.node,
        process: 'ptp4l',
        config: this.config,
        iface: this.metricIface ?? '',
        from,
        to: next,
      });
    }
    // T-BC / T-GM classes (ITU-T G.8275.1): 6 locked, 135 holdover in spec, 248 free-run; slave-only 255
    // T-GM in holdover announces 7 (in spec), a T-BC 135 (ITU-T G.8275.1 clock classes)
    const holdoverClass = this.ports.every((p) => p.masterOnly) ? 7 : 135;
    const cls = this.settings.slaveOnly ? 255 : next === 'LOCKED' ? 6 : next === 'HOLDOVER' ? holdoverClass : 248;
    if (cls !== this.clockClass) {
      const from = this.clockClass;
      this.clockClass = cls;
      this.change({ kind: 'clock-class', node: this.node, config: this.config, from, to: cls });
    }
  }

  /**
   * The class linuxptp-daemon reports for this ptp4l (metric openshift_ptp_clock_class, CLOCK_CLASS_CHANGE): `gm.ClockClass`
   * of `pmc GET PARENT_DATA_SET` (openshift/linuxptp-daemon pkg/daemon/daemon.go updateClockClass): the grandmaster's
   * class while the clock follows one, its own DEFAULT_DATA_SET.clockClass when it is its own grandmaster.
   */
  get reportedClockClass(): number {
    return this.parent ? this.parent.gmClockClass : this.clockClass;
  }

  /** the class the daemon last logged (CLOCK_CLASS_CHANGE); the caller logs and sets it */
  takeClassChange(): number | undefined {
    const cls = this.reportedClockClass;
    if (this.reportedClass === cls) return undefined;
    if (this.settings.slaveOnly || this.clockState !== 'FREERUN' || this.reportedClass !== undefined) {
      this.reportedClass = cls;
      return cls;
    }
    return undefined;
  }

  holdoverSeconds(): number | undefined {
    return this.holdoverSince === undefined ? undefined : this.t - this.holdoverSince;
  }
}
