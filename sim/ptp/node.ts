/**
 * The PTP processes of one node, as linuxptp-daemon runs them for the node's profiles (openshift/linuxptp-daemon
 * pkg/daemon/daemon.go): per profile N a ptp4l with /var/run/ptp4l.<N>.config, a phc2sys when phc2sysOpts is set
 * (it logs with its ptp4l's tag) and a ts2phc when ts2phcOpts is set; the daemon's klog lines
 * (`Starting ptp4l...`, `ptp4l cmd: ...`, `PTP_PROCESS_STATUS:1` when the event publisher is on, `Recreating
 * ptp4l...` after a process died); the raw process lines `<prog>[<mono>]: [<tag>:<level>] <msg>`.
 */
import { parseConf, phc2sysSummaryUpdates, ptp4lSettings, renderPtp4lConfig } from './conf.ts';
import { Noise } from './noise.ts';
import { Ptp4l, type LinkEnv } from './ptp4l.ts';
import type { ClockState, NodePtpView, ProcessView, ProfileThresholds, PtpProcessName, PtpStateChange, ServoState } from './types.ts';

/** A PtpConfig profile (openshift/ptp-operator api/v1/ptpconfig_types.go), the fields the daemon uses. */
export interface PtpProfile {
  name: string;
  interface?: string;
  ptp4lOpts?: string;
  phc2sysOpts?: string;
  ts2phcOpts?: string;
  ptp4lConf?: string;
  ts2phcConf?: string;
  ptpSchedulingPolicy?: string;
  ptpSchedulingPriority?: number;
  ptpClockThreshold?: { holdOverTimeout?: number; maxOffsetThreshold?: number; minOffsetThreshold?: number };
}

export function thresholdsOf(p: PtpProfile): ProfileThresholds {
  const t = p.ptpClockThreshold ?? {};
  return { minOffsetNs: t.minOffsetThreshold ?? -100, maxOffsetNs: t.maxOffsetThreshold ?? 100, holdOverTimeoutS: t.holdOverTimeout ?? 5 };
}

export interface NodeEnv extends LinkEnv {
  node: string;
  /** the node's NIC MAC of an interface (clockIdentity) */
  mac(iface: string): string;
  eventPublisher(): boolean;
  jitterFor(process: PtpProcessName): number;
}

interface Helper {
  process: 'phc2sys' | 'ts2phc';
  config: string;
  tag: string;
  profile: string;
  iface: string;
  running: boolean;
  restarts: number;
  servo: ServoState;
  steps: number;
  offsetNs: number;
  freqPpb: number;
  baseFreq: number;
  delayNs: number;
  clockState: ClockState;
  summaryEvery: number;
  acc: number[];
  thresholds: ProfileThresholds;
  /** ms fraction of this process's monotonic time stamps */
  frac: number;
}

interface Instance {
  index: number;
  profile: PtpProfile;
  ptp4l?: Ptp4l;
  ptp4lRunning: boolean;
  ptp4lRestarts: number;
  restartIn?: { process: PtpProcessName; left: number }[];
  helpers: Helper[];
  cmd: Record<'ptp4l' | 'phc2sys' | 'ts2phc', string>;
  frac: number;
  stopped: Set<PtpProcessName>;
  /** a ptp4l (re)created during this tick runs from the next one (its ports start in LISTENING) */
  fresh?: boolean;
  /** a T-BC profile (ptpSettings.clockType T-BC): the state and offset of its last T-BC-STATUS state change */
  tbc?: { state: ClockState; offsetNs: number };
}

const pad = (n: number, w: number): string => String(n).padStart(w);
const sign = (n: number, w: number): string => `${n >= 0 ? '+' : '-'}${Math.abs(Math.round(n))}`.padStart(w);

let klogSeq = 0;
let lastKlogUs = 0;

export function klogLine(sev: 'I' | 'W' | 'E', file: string, msg: string, pid: number, d = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  // microseconds that never go backwards within a process (glog prints wall time with µs)
  const now = Math.max(d.getTime() * 1000 + (klogSeq++ % 1000), lastKlogUs + 1);
  lastKlogUs = now;
  const us = p(Math.floor(now / 1000) % 1000, 3) + p(now % 1000, 3);
  return `${sev}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${us} ${String(pid).padStart(7)} ${file}] ${msg}`;
}

export class NodePtp {
  private instances: Instance[] = [];
  private readonly noise: Noise;
  readonly pid: number;
  /** emulated seconds since the daemon started */
  private t = 0;
  private readonly monoBase: number;
  files = new Map<string, string>();

  constructor(
    private readonly env: NodeEnv,
    private readonly log: (line: string) => void,
    private readonly change: (c: PtpStateChange) => void,
    seed: string,
    readonly daemonPod: string,
  ) {
    this.noise = new Noise(`${seed}/${env.node}/${daemonPod}`);
    this.pid = this.noise.int(3000, 900000);
    this.monoBase = this.noise.int(80_000, 3_000_000);
  }

  private klog(msg: string, file = 'daemon.go:1040', sev: 'I' | 'W' | 'E' = 'I'): void {
    this.log(klogLine(sev, file, msg, this.pid));
  }

  private mono(frac: number): string {
    return `${this.monoBase + this.t}.${String(Math.floor(frac)).padStart(3, '0')}`;
  }

  /** A line of one of the node's processes, stamped with the node's own monotonic clock (a fault's text). */
  processLine(process: PtpProcessName, tag: string, level: number, msg: string): void {
    this.raw(process, tag, level, msg, this.noise.int(0, 999));
  }

  private raw(process: PtpProcessName, tag: string, level: number, msg: string, frac: number): void {
    this.log(`${process}[${this.mono(frac)}]: [${tag}:${level}] ${msg}`);
  }

  private status(process: PtpProcessName, tag: string, up: boolean): void {
    this.change({ kind: 'process', node: this.env.node, process, config: tag, up });
    // logProcessStatus logs only when stdout goes to the cloud-event-proxy socket (event publisher on)
    if (this.env.eventPublisher())
      this.klog(`${process}[${Math.floor(Date.now() / 1000)}]:[${tag}] PTP_PROCESS_STATUS:${up ? 1 : 0}`, 'daemon.go:928');
  }

  /** Apply the node's profiles: stop what runs, write the configs, start the processes (applyNodePTPProfiles). */
  apply(profiles: PtpProfile[]): void {
    if (this.instances.length) {
      for (const inst of this.instances) this.stopInstance(inst);
    }
    this.klog('in applyNodePTPProfiles', 'daemon.go:562');
    this.files = new Map();
    this.instances = [];
    this.klog('updating NodePTPProfiles to:', 'daemon.go:599');
    profiles.forEach((p, index) => {
      this.klog('------------------------------------', 'daemon.go:102');
      this.klog(`Profile Name: ${p.name}`, 'daemon.go:102');
      this.klog(`Interface: ${p.interface ?? ''}`, 'daemon.go:102');
      this.klog(`Ptp4lOpts: ${p.ptp4lOpts ?? ''}`, 'daemon.go:102');
      this.klog(`Phc2sysOpts: ${p.phc2sysOpts ?? ''}`, 'daemon.go:102');
      this.klog(`Ts2PhcOpts: ${p.ts2phcOpts ?? ''}`, 'daemon.go:102');
      this.klog(`PtpSchedulingPolicy: ${p.ptpSchedulingPolicy ?? 'SCHED_OTHER'}`, 'daemon.go:102');
      this.klog(`PtpSchedulingPriority: ${p.ptpSchedulingPriority ?? 0}`, 'daemon.go:102');
      this.klog('------------------------------------', 'daemon.go:102');
      const cfg = `ptp4l.${index}.config`;
      const text = renderPtp4lConfig(p.ptp4lConf ?? '', p.interface, index);
      this.files.set(`/var/run/${cfg}`, text);
      if (p.ts2phcOpts?.trim())
        this.files.set(
          `/var/run/ts2phc.${index}.config`,
          p.ts2phcConf ?? `[global]\nuse_syslog 0\nverbose 1\n[${p.interface ?? 'ens1f0'}]\nts2phc.extts_polarity rising\n`,
        );
      const chrt = p.ptpSchedulingPolicy === 'SCHED_FIFO' ? `/bin/chrt -f ${p.ptpSchedulingPriority ?? 10} ` : '';
      const inst: Instance = {
        index,
        profile: p,
        ptp4lRunning: false,
        ptp4lRestarts: 0,
        helpers: [],
        cmd: {
          ptp4l: `${chrt}/usr/sbin/ptp4l -f /var/run/${cfg} ${p.ptp4lOpts ?? ''} -m`.replace(/\s+/g, ' ').trim(),
          phc2sys: `${chrt}/usr/sbin/phc2sys ${p.phc2sysOpts ?? ''} -z /var/run/ptp4l.${index}.socket -t [${cfg}:{level}] -m`
            .replace(/\s+/g, ' ')
            .trim(),
          ts2phc: `${chrt}/usr/sbin/ts2phc -f /var/run/ts2phc.${index}.config ${p.ts2phcOpts ?? ''} -m`.replace(/\s+/g, ' ').trim(),
        },
        frac: this.noise.int(0, 999),
        stopped: new Set(),
      };
      this.instances.push(inst);
      this.startPtp4l(inst);
      if (p.phc2sysOpts?.trim()) this.startHelper(inst, 'phc2sys');
      if (p.ts2phcOpts?.trim()) this.startHelper(inst, 'ts2phc');
    });
  }

  private startPtp4l(inst: Instance): void {
    const p = inst.profile;
    const cfg = `ptp4l.${inst.index}.config`;
    this.klog('Starting ptp4l...', 'daemon.go:1054');
    this.klog(`ptp4l cmd: ${inst.cmd.ptp4l}`, 'daemon.go:1055');
    const settings = ptp4lSettings(parseConf(this.files.get(`/var/run/${cfg}`) ?? ''), p.ptp4lOpts ?? '');
    const mac = this.env.mac(settings.ports[0]?.iface ?? p.interface ?? 'ens1f0');
    const m = mac.split(':');
    const clockIdentity = `${m.slice(0, 3).join('')}.fffe.${m.slice(3).join('')}`;
    const frac = inst.frac;
    inst.ptp4l = new Ptp4l(
      cfg,
      p.name,
      settings,
      clockIdentity,
      thresholdsOf(p),
      new Noise(`${this.env.node}/${cfg}/${inst.ptp4lRestarts}`),
      (level, msg) => this.raw('ptp4l', cfg, level, msg, frac),
      this.change,
      this.env.node,
    );
    inst.ptp4lRunning = true;
    inst.fresh = true;
    this.status('ptp4l', cfg, true);
    this.klog('starting ptp4l...', 'daemon.go:1107');
    inst.ptp4l.start();
  }

  private startHelper(inst: Instance, process: 'phc2sys' | 'ts2phc', prev?: Helper): void {
    const p = inst.profile;
    const tag = process === 'phc2sys' ? `ptp4l.${inst.index}.config` : `ts2phc.${inst.index}.config`;
    this.klog(`Starting ${process}...`, 'daemon.go:1054');
    this.klog(`${process} cmd: ${inst.cmd[process]}`, 'daemon.go:1055');
    const h: Helper = {
      process,
      config: tag,
      tag,
      profile: p.name,
      iface: process === 'phc2sys' ? 'CLOCK_REALTIME' : (p.interface ?? 'ens1f0'),
      running: true,
      restarts: prev ? prev.restarts : 0,
      servo: 0,
      steps: 0,
      offsetNs: 0,
      baseFreq: prev?.baseFreq ?? this.noise.int(-90000, 90000),
      freqPpb: 0,
      delayNs: 0,
      clockState: 'FREERUN',
      summaryEvery: process === 'phc2sys' ? phc2sysSummaryUpdates(p.phc2sysOpts ?? '') : 0,
      acc: [],
      thresholds: thresholdsOf(p),
      frac: this.noise.int(0, 999),
    };
    if (prev) inst.helpers[inst.helpers.indexOf(prev)] = h;
    else inst.helpers.push(h);
    this.status(process, tag, true);
    this.klog(`starting ${process}...`, 'daemon.go:1107');
  }

  private stopInstance(inst: Instance): void {
    for (const name of ['ptp4l', ...inst.helpers.map((h) => h.process)] as PtpProcessName[]) {
      this.klog(`stopping ${name}...`, 'daemon.go:1207');
      this.klog(`${name} setStopped true`, 'daemon.go:1219');
      this.klog(`Sending TERM to (${name}) PID: ${this.noise.int(1000, 99999)}`, 'daemon.go:1223');
    }
    for (const h of inst.helpers) if (h.running) this.status(h.process, h.tag, false);
    if (inst.ptp4lRunning) this.status('ptp4l', `ptp4l.${inst.index}.config`, false);
    inst.ptp4lRunning = false;
  }

  /** The process dies (kill, crash). The daemon's cmdRun loop recreates it after ~1 s unless told not to. */
  kill(process: PtpProcessName, config: string | undefined, restart: boolean): boolean {
    let hit = false;
    for (const inst of this.instances) {
      const cfg = `ptp4l.${inst.index}.config`;
      if (process === 'ptp4l') {
        if (config && config !== cfg) continue;
        if (!inst.ptp4lRunning) continue;
        inst.ptp4lRunning = false;
      } else {
        const h = inst.helpers.find((x) => x.process === process && (!config || config === x.tag || config === cfg));
        if (!h?.running) continue;
        h.running = false;
        h.clockState = 'FREERUN';
      }
      hit = true;
      const tag = process === 'ts2phc' ? `ts2phc.${inst.index}.config` : cfg;
      this.klog(`done waiting for ${process}...`, 'daemon.go:1117');
      this.klog(`CmdRun() error waiting for ${process}: signal: killed`, 'daemon.go:1119', 'E');
      this.status(process, tag, false);
      if (restart) (inst.restartIn ??= []).push({ process, left: 1 });
      else inst.stopped.add(process);
    }
    return hit;
  }

  start(process: PtpProcessName, config?: string): boolean {
    let hit = false;
    for (const inst of this.instances) {
      if (config && config !== `ptp4l.${inst.index}.config` && config !== `ts2phc.${inst.index}.config`) continue;
      if (!inst.stopped.delete(process)) continue;
      hit = true;
      this.recreate(inst, process);
    }
    return hit;
  }

  private recreate(inst: Instance, process: PtpProcessName): void {
    this.klog(`Recreating ${process}...`, 'daemon.go:1138');
    if (process === 'ptp4l') {
      inst.ptp4lRestarts++;
      this.startPtp4l(inst);
    } else {
      const prev = inst.helpers.find((h) => h.process === process);
      if (prev) {
        prev.restarts++;
        this.startHelper(inst, process, prev);
      }
    }
  }

  stepClock(ns: number): void {
    for (const inst of this.instances) if (inst.ptp4lRunning) inst.ptp4l?.stepClock(ns);
  }

  /** Master port info this node offers downstream on `iface` (a BC's masterOnly port). */
  offers(iface: string): { ptp: Ptp4l } | undefined {
    for (const inst of this.instances) {
      const p = inst.ptp4l;
      if (!inst.ptp4lRunning || !p) continue;
      const port = p.ports.find((x) => x.iface === iface);
      if (port && port.state === 'MASTER' && port.linkUp) return { ptp: p };
    }
    return undefined;
  }

  /** One emulated second. */
  tick(): void {
    this.t++;
    for (const inst of this.instances) {
      if (inst.restartIn?.length) {
        const due = inst.restartIn.filter((r) => --r.left <= 0);
        inst.restartIn = inst.restartIn.filter((r) => r.left > 0);
        for (const r of due) this.recreate(inst, r.process);
      }
      const p = inst.ptp4l;
      if (inst.fresh) inst.fresh = false;
      else if (inst.ptp4lRunning && p) {
        p.tick({ ...this.env, jitterNs: () => this.env.jitterFor('ptp4l') }, this.t);
        const cls = p.takeClassChange();
        if (cls !== undefined)
          this.klog(`ptp4l[${Math.floor(Date.now() / 1000)}]:[${p.config}] CLOCK_CLASS_CHANGE ${cls}`, 'daemon.go:1011');
        if ((inst.profile as { ptpSettings?: Record<string, string> }).ptpSettings?.clockType === 'T-BC') this.tbcStatus(inst, p);
      }
      for (const h of inst.helpers) if (h.running) this.tickHelper(inst, h);
      const ts2phc = inst.helpers.find((h) => h.process === 'ts2phc');
      if (p) p.timeSourceLocked = ts2phc ? ts2phc.running && ts2phc.clockState === 'LOCKED' : undefined;
    }
  }

  /**
   * The T-BC status line linuxptp-daemon writes every second for a T-BC profile, `T-BC[<epoch>]:[<cfg>] <iface> offset
   * <ns> T-BC-STATUS s<N>` (s2 locked, s1 holdover, s0 free-run; openshift-docs, T-BC holdover verification): in holdover
   * the offset is the clock's estimated phase error (the holdover drift). cloud-event-proxy (plugins/ptp_operator/metrics/
   * logparser.go ParseTBCLogs) exports it as openshift_ptp_offset_ns{from="T-BC",process="T-BC"} and clock_state
   * {process="T-BC"} at each state change.
   */
  private tbcStatus(inst: Instance, p: Ptp4l): void {
    const st = p.clockState;
    const offsetNs = st === 'LOCKED' ? p.offsetNs : (p.holdoverPhaseErrorNs ?? p.offsetNs);
    const iface = p.ports.find((x) => !x.masterOnly)?.iface ?? p.ports[0]?.iface ?? '';
    const servo = st === 'LOCKED' ? 2 : st === 'HOLDOVER' ? 1 : 0;
    this.log(`T-BC[${Math.floor(Date.now() / 1000)}]:[${p.config}] ${iface} offset ${offsetNs} T-BC-STATUS s${servo}`);
    if (inst.tbc?.state !== st) inst.tbc = { state: st, offsetNs };
  }

  private tickHelper(inst: Instance, h: Helper): void {
    const n = this.noise;
    const p = inst.ptp4l;
    let source: boolean;
    const opts = inst.profile.phc2sysOpts ?? '';
    // -a follows ptp4l's slave port over its UDS; -s <dev> (a T-GM's phc2sys) reads that PHC whatever ptp4l does
    const fixedSource = !/(^|\s)-a(\s|$)/.test(opts) && /(^|\s)-s\s+\S+/.test(opts);
    if (h.process === 'phc2sys')
      source = fixedSource || !!(inst.ptp4lRunning && p && p.ports.some((x) => x.state === 'SLAVE' || x.state === 'UNCALIBRATED'));
    else source = true; // ts2phc: the 1PPS/NMEA source of a T-GM is present
    const prevState = h.clockState;
    if (!source) {
      if (h.steps > 0 && h.process === 'phc2sys') this.raw('phc2sys', h.tag, 6, 'reconfiguring after port state change', h.frac);
      h.steps = 0;
      h.servo = 0;
      h.clockState = 'FREERUN';
    } else {
      if (h.steps === 0 && h.process === 'phc2sys' && !fixedSource) {
        const sp = p?.ports.find((x) => x.state === 'SLAVE' || x.state === 'UNCALIBRATED');
        this.raw('phc2sys', h.tag, 6, 'reconfiguring after port state change', h.frac);
        if (sp) this.raw('phc2sys', h.tag, 6, `selecting ${sp.iface} for synchronization`, h.frac);
      }
      const sigma = 5 + this.env.jitterFor(h.process);
      let offset: number;
      if (h.steps === 0) {
        offset = Math.round(n.range(-40000, 40000));
        h.servo = 0;
      } else if (h.steps === 1) {
        offset = Math.round(h.offsetNs * 0.8);
        h.servo = 1;
      } else {
        offset = Math.round(n.gauss() * sigma);
        h.servo = 2;
      }
      h.steps++;
      h.offsetNs = offset;
      h.freqPpb = Math.round(h.baseFreq + n.gauss() * 4);
      h.delayNs = Math.round(490 + n.gauss() * 3);
      const inRange = offset > h.thresholds.minOffsetNs && offset < h.thresholds.maxOffsetNs;
      h.clockState = h.servo >= 2 && inRange ? 'LOCKED' : 'FREERUN';
      this.helperLine(h);
    }
    if (prevState !== h.clockState)
      this.change({
        kind: 'clock-state',
        node: this.env.node,
        process: h.process,
        config: h.tag,
        iface: h.iface,
        from: prevState,
        to: h.clockState,
      });
  }

  private helperLine(h: Helper): void {
    if (h.process === 'ts2phc') {
      // linuxptp 4.x ts2phc: `<dev> offset %10d s%d freq %+7.0f` (no "master")
      this.raw('ts2phc', h.tag, 6, `${h.iface} offset ${pad(h.offsetNs, 10)} s${h.servo} freq ${sign(h.freqPpb, 7)}`, h.frac);
      return;
    }
    if (h.summaryEvery > 1 && h.servo === 2) {
      h.acc.push(h.offsetNs);
      if (h.acc.length >= h.summaryEvery) {
        const rms = Math.sqrt(h.acc.reduce((a, b) => a + b * b, 0) / h.acc.length);
        const max = Math.max(...h.acc.map(Math.abs));
        this.raw(
          'phc2sys',
          h.tag,
          6,
          `CLOCK_REALTIME rms ${pad(Math.round(rms), 4)} max ${pad(max, 4)} freq ${sign(h.freqPpb, 6)} +/- ${pad(3, 3)} delay ${pad(h.delayNs, 5)} +/- ${pad(1, 3)}`,
          h.frac,
        );
        h.acc = [];
      }
      return;
    }
    this.raw(
      'phc2sys',
      h.tag,
      6,
      `CLOCK_REALTIME phc offset ${pad(h.offsetNs, 9)} s${h.servo} freq ${sign(h.freqPpb, 7)} delay ${pad(h.delayNs, 6)}`,
      h.frac,
    );
  }

  stop(): void {
    for (const inst of this.instances) {
      inst.ptp4lRunning = false;
      for (const h of inst.helpers) h.running = false;
    }
  }

  ptp4ls(): { inst: Instance; p: Ptp4l }[] {
    return this.instances.filter((i) => i.ptp4l).map((i) => ({ inst: i, p: i.ptp4l! }));
  }

  view(): NodePtpView {
    const processes: ProcessView[] = [];
    const thresholds: Record<string, ProfileThresholds> = {};
    for (const inst of this.instances) {
      thresholds[inst.profile.name] = thresholdsOf(inst.profile);
      for (const h of inst.helpers)
        processes.push({
          process: h.process,
          config: h.tag,
          profile: h.profile,
          running: h.running,
          restarts: h.restarts,
          iface: h.iface,
          servo: h.servo,
          offsetNs: h.offsetNs,
          freqPpb: h.freqPpb,
          clockState: h.clockState,
        });
    }
    return {
      node: this.env.node,
      profiles: this.instances.map((i) => i.profile.name),
      thresholds,
      daemonPod: this.daemonPod,
      processes,
      ptp4l: this.instances
        .filter((i) => i.ptp4l)
        .map((i) => {
          const p = i.ptp4l!;
          return {
            config: p.config,
            profile: p.profile,
            clockIdentity: p.clockIdentity,
            clockClass: p.clockClass,
            reportedClockClass: p.reportedClockClass,
            slaveOnly: p.settings.slaveOnly,
            running: i.ptp4lRunning,
            restarts: i.ptp4lRestarts,
            ports: p.ports.map((x) => ({
              port: x.port,
              iface: x.iface,
              state: x.state,
              linkUp: x.linkUp,
              masterOnly: x.masterOnly,
              hasForeignMaster: x.heard > 0,
            })),
            servo: p.servo,
            offsetNs: p.offsetNs,
            freqPpb: p.freqPpb,
            pathDelayNs: p.pathDelayNs,
            parent: p.parent,
            clockState: i.ptp4lRunning ? p.clockState : 'FREERUN',
            metricIface: p.metricIface,
            holdoverSeconds: p.holdoverSeconds(),
            holdoverPhaseErrorNs: p.clockState === 'HOLDOVER' ? p.holdoverPhaseErrorNs : undefined,
            tbc: i.tbc ? { ...i.tbc } : undefined,
          };
        }),
    };
  }

  helperOf(inst: Instance, process: 'phc2sys' | 'ts2phc'): Helper | undefined {
    return inst.helpers.find((h) => h.process === process);
  }
}

export type { Instance as PtpInstance, Helper as PtpHelper };
