/**
 * The PTP fault scenarios' measurements (pure): from metric samples taken every poll (the conformance
 * suite's method: `curl -s 127.0.0.1:9091/metrics` in the daemon pod every 5 s, openshift/ptp-operator
 * test/conformance/serial/ptp.go), the sequences of role, clock_state and clock class, the time to
 * FAULTY / HOLDOVER / FREERUN after the injection, the holdover duration, the time to re-lock after the
 * fault was cleared and the worst |offset| while recovering.
 */
import type { ClockState, PtpMetrics, Role } from './metrics.ts';
import { FAULTY_OFFSET } from './metrics.ts';

export interface PtpSample {
  /** ms since the scenario's t0 */
  at: number;
  role?: Role;
  clockState?: ClockState;
  osClockState?: ClockState;
  offsetNs?: number;
  clockClass?: number;
  processes: Record<string, boolean>;
  /** the cloud-event-proxy's lock-state CurrentState, when the event publisher is on */
  sidecarLock?: string;
  error?: string;
}

/** One sample from parsed metrics: the role of `iface`, ptp4l's clock_state / offset, phc2sys's state, the class. */
export function sampleFrom(m: PtpMetrics, iface: string, at: number): PtpSample {
  const alias = iface.replace(/\d$/, 'x');
  const ptp4lState =
    m.clockStates.find((c) => c.process === 'ptp4l' && (c.iface === alias || c.iface === iface)) ??
    m.clockStates.find((c) => c.process === 'ptp4l');
  const off =
    m.offsets.find((o) => o.process === 'ptp4l' && (o.iface === alias || o.iface === iface)) ??
    m.offsets.find((o) => o.process === 'ptp4l');
  return {
    at,
    role: m.roles.find((r) => r.process === 'ptp4l' && r.iface === iface)?.role,
    clockState: ptp4lState?.state,
    osClockState: m.clockStates.find((c) => c.process === 'phc2sys')?.state,
    offsetNs: off?.offsetNs,
    clockClass: m.clockClass.find((c) => c.process === 'ptp4l')?.clockClass,
    processes: Object.fromEntries(m.processes.map((p) => [p.process, p.up])),
  };
}

export interface Recovery {
  /** distinct consecutive values */
  roles: Role[];
  clockStates: ClockState[];
  clockClasses: number[];
  /** the sidecar's lock-state sequence (the events it published) */
  sidecarStates: string[];
  /** seconds after the injection */
  toFaultyS?: number;
  toHoldoverS?: number;
  toFreerunS?: number;
  toProcessDownS?: number;
  /** seconds in HOLDOVER (first HOLDOVER sample to the first non-HOLDOVER one) */
  holdoverS?: number;
  /** seconds after the clear until role SLAVE (or the wanted role) */
  toRoleS?: number;
  /** seconds after the clear until LOCKED with the offset in range */
  relockS?: number;
  /** worst |offset| after the clear (the FAULTY marker 999999 excluded) */
  worstOffsetNs?: number;
}

const dedupe = <T>(xs: (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined).filter((x, i, a) => i === 0 || a[i - 1] !== x);

export function summariseRecovery(
  samples: readonly PtpSample[],
  o: { injectAt: number; clearAt?: number; minOffsetNs: number; maxOffsetNs: number; role?: Role },
): Recovery {
  const after = samples.filter((s) => s.at >= o.injectAt);
  const first = (pred: (s: PtpSample) => boolean, from = o.injectAt): number | undefined => {
    const s = samples.find((x) => x.at >= from && pred(x));
    return s === undefined ? undefined : (s.at - from) / 1000;
  };
  const r: Recovery = {
    roles: dedupe(samples.map((s) => s.role)),
    clockStates: dedupe(samples.map((s) => s.clockState)),
    clockClasses: dedupe(samples.map((s) => s.clockClass)),
    sidecarStates: dedupe(samples.map((s) => s.sidecarLock)),
    toFaultyS: first((s) => s.role === 'FAULTY'),
    toHoldoverS: first((s) => s.clockState === 'HOLDOVER'),
    toFreerunS: first((s) => s.clockState === 'FREERUN'),
    toProcessDownS: first((s) => Object.values(s.processes).some((up) => !up)),
  };
  const hStart = after.find((s) => s.clockState === 'HOLDOVER');
  if (hStart) {
    const hEnd = after.find((s) => s.at > hStart.at && s.clockState !== 'HOLDOVER');
    if (hEnd) r.holdoverS = (hEnd.at - hStart.at) / 1000;
  }
  if (o.clearAt !== undefined) {
    const want = o.role ?? 'SLAVE';
    r.toRoleS = first((s) => s.role === want, o.clearAt);
    r.relockS = first(
      (s) => s.clockState === 'LOCKED' && s.offsetNs !== undefined && s.offsetNs >= o.minOffsetNs && s.offsetNs < o.maxOffsetNs,
      o.clearAt,
    );
    const offs = samples
      .filter((s) => s.at >= o.clearAt! && s.offsetNs !== undefined && s.offsetNs !== FAULTY_OFFSET)
      .map((s) => Math.abs(s.offsetNs!));
    if (offs.length) r.worstOffsetNs = Math.max(...offs);
  }
  return r;
}
