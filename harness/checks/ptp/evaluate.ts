/**
 * The PTP check's pure part: per node and profile, what the metrics and the sidecar say vs what the
 * profile configures. Same observation, same findings.
 */
import type { CheckFinding } from '../types.ts';
import type { FaultKind } from '../../ptp/analyze.ts';
import { FAULTY_OFFSET, type ClockState } from '../../ptp/metrics.ts';
import {
  expectedClockClass,
  expectedRole,
  ifaceAlias,
  isGrandmaster,
  type ProfileSpec,
  type PtpFindingKind,
  type PtpObserved,
} from './model.ts';

export interface PtpCheckParams {
  nodes?: string[];
  /** expected clock class for every profile (default 6: the grandmaster's, PARENT_DATA_SET gm.ClockClass) */
  clockClass?: number;
  /** ignore the sidecar's CurrentState */
  skipSidecar?: boolean;
  /** also judge the daemon log of the last N seconds (faults that healed before the check ran) */
  sinceSeconds?: number;
}

const LOG_KIND: Record<FaultKind, PtpFindingKind | undefined> = {
  'process-restart': 'log-process-restart',
  'clock-jump': 'log-clock-jump',
  faulty: 'log-port-faulty',
  holdover: 'log-holdover',
  'tx-timeout': 'log-tx-timeout',
  'config-error': 'log-config-error',
  // the metrics judge the offsets now (offset-out-of-range); a converging servo's samples are no fault of the window
  'offset-out-of-range': undefined,
};

type F = CheckFinding<PtpFindingKind>;

export function evaluatePtp(o: PtpObserved, params: PtpCheckParams = {}): F[] {
  const out: F[] = [];
  const byName = new Map(o.profiles.map((p) => [p.name, p]));
  for (const n of o.nodes) {
    const node = n.node;
    const add = (kind: PtpFindingKind, message: string, extra: Partial<F> = {}, labels: Record<string, string> = {}) =>
      out.push({ kind, subject: node, node, message, ...extra, labels: { ...(extra.labels ?? {}), ...labels } });
    const profiles: ProfileSpec[] = [];
    for (const name of n.profileNames) {
      const p = byName.get(name);
      if (p) profiles.push(p);
      else add('profile-unknown', `matchList applies profile ${name} to ${node} but no PtpConfig defines it`, {}, { profile: name });
    }
    if (!n.pod) {
      add('daemon-pod-missing', `no linuxptp-daemon pod on ${node} (profiles ${n.profileNames.join(', ')})`);
      continue;
    }
    if (!n.pod.ready)
      add('daemon-pod-not-ready', `linuxptp-daemon pod ${n.pod.pod} on ${node} is not Ready (phase ${n.pod.phase})`, {
        expected: 'Ready',
        actual: n.pod.phase,
        labels: { pod: n.pod.pod },
      });
    if (n.log) {
      // the daemon log names configs, not profiles: a node with one profile has it; with several, the config says which
      const profile: Record<string, string> = n.profileNames.length === 1 ? { profile: n.profileNames[0] } : {};
      if (n.log.error)
        add('log-unavailable', `daemon log of ${n.pod.pod} on ${node} (last ${n.log.sinceSeconds} s): ${n.log.error}`, {}, profile);
      for (const f of n.log.faults) {
        const kind = LOG_KIND[f.kind];
        if (!kind) continue;
        add(
          kind,
          `${f.count} ${f.kind} line(s) in the daemon log of ${node} in the last ${n.log.sinceSeconds} s${f.config ? ` (${f.config})` : ''}; first: ${f.first}`,
          { expected: `no ${f.kind} in the window`, actual: `${f.count} line(s)` },
          { ...profile, ...(f.config ? { config: f.config } : {}), ...(f.process ? { process: f.process } : {}) },
        );
      }
    }
    const m = n.metrics;
    if (!m || m.samples === 0) {
      add('metrics-unavailable', `no PTP metrics from ${n.pod.pod} on ${node}: ${n.metricsError ?? 'no openshift_ptp_* samples'}`, {
        labels: { pod: n.pod.pod },
      });
      continue;
    }
    for (const p of profiles) {
      const labels = { profile: p.name };
      // processes
      const needed = ['ptp4l', ...(p.phc2sysOpts.trim() ? ['phc2sys'] : []), ...(p.ts2phcOpts.trim() ? ['ts2phc'] : [])];
      for (const proc of needed) {
        const st = m.processes.filter((x) => x.process === proc);
        if (!st.length)
          add(
            'process-missing',
            `${proc} of profile ${p.name} has no process_status on ${node}`,
            { expected: 'UP' },
            { ...labels, process: proc },
          );
        for (const s of st)
          if (!s.up)
            add(
              'process-down',
              `${proc} (${s.config}) is DOWN on ${node}${s.restarts !== undefined ? ` (restarts ${s.restarts})` : ''}`,
              { expected: 'UP', actual: 'DOWN' },
              { ...labels, process: proc, config: s.config },
            );
      }
      // roles: a slave port SLAVE, a masterOnly port MASTER. A second port that can follow a master may be the
      // BMCA's backup while another port of the profile is SLAVE: PASSIVE (linuxptp fsm.c RS_PASSIVE), or MASTER on
      // a clock that is not slave-only (it serves that segment); neither is a fault then.
      const roleOf = (iface: string) => m.roles.find((x) => x.process === 'ptp4l' && x.iface === iface);
      const hasSlave = p.interfaces.some((i) => !p.masterPorts.includes(i) && roleOf(i)?.role === 'SLAVE');
      for (const iface of p.interfaces) {
        const want = expectedRole(p, iface);
        const r = roleOf(iface);
        const backupOk = want === 'SLAVE' && hasSlave && r !== undefined && (r.role === 'PASSIVE' || (r.role === 'MASTER' && !p.slaveOnly));
        if (!r)
          add('role-missing', `no interface_role for ${iface} (profile ${p.name}) on ${node}`, { expected: want }, { ...labels, iface });
        else if (r.role === 'FAULTY')
          add(
            'port-faulty',
            `${iface} is FAULTY on ${node} (profile ${p.name})`,
            { expected: want, actual: 'FAULTY' },
            { ...labels, iface },
          );
        else if (r.role !== want && !backupOk)
          add(
            'role-mismatch',
            `${iface} is ${r.role} on ${node}, profile ${p.name} configures ${want}`,
            { expected: want, actual: r.role },
            { ...labels, iface },
          );
      }
      // offsets within the profile's thresholds, [min, max) as the conformance suite checks them
      const { minOffsetNs: min, maxOffsetNs: max } = p.thresholds;
      const aliases = new Set(p.interfaces.map(ifaceAlias));
      for (const off of m.offsets) {
        const mine = off.process === 'phc2sys' || off.process === 'ts2phc' || aliases.has(off.iface) || p.interfaces.includes(off.iface);
        if (!mine) continue;
        if (off.offsetNs < min || off.offsetNs >= max)
          add(
            'offset-out-of-range',
            `${off.process} ${off.iface} offset ${off.offsetNs} ns from ${off.from} on ${node}${off.offsetNs === FAULTY_OFFSET ? ' (the FAULTY marker: the slave port is down)' : ''}, profile ${p.name} allows [${min}, ${max})`,
            { expected: `[${min}, ${max})`, actual: String(off.offsetNs) },
            { ...labels, process: off.process, iface: off.iface },
          );
      }
      // clock class
      const wantClass = params.clockClass ?? expectedClockClass(p);
      for (const cc of m.clockClass.filter((c) => c.process === 'ptp4l'))
        if (cc.clockClass !== wantClass)
          add(
            'clock-class-unexpected',
            `clock class ${cc.clockClass} on ${node}${cc.config ? ` (${cc.config})` : ''}, expected ${wantClass} for profile ${p.name}`,
            { expected: String(wantClass), actual: String(cc.clockClass) },
            { ...labels, ...(cc.config ? { config: cc.config } : {}) },
          );
    }
    if (profiles.length) {
      const ptp4lStates = m.clockStates.filter((c) => c.process === 'ptp4l');
      // a T-GM has no slave port: ptp4l reports no clock_state, its lock is ts2phc's (GNSS / 1PPS)
      const gmOnly = profiles.every(isGrandmaster);
      const leadStates = gmOnly ? m.clockStates.filter((c) => c.process === 'ts2phc') : ptp4lStates;
      const needsState = !gmOnly || profiles.some((p) => p.ts2phcOpts.trim());
      if (!leadStates.length && needsState)
        add(
          'clock-state-missing',
          `no clock_state for ${gmOnly ? 'ts2phc (T-GM)' : 'ptp4l'} on ${node}`,
          { expected: 'LOCKED' },
          { profile: profiles[0].name },
        );
      for (const c of m.clockStates)
        if (c.state !== 'LOCKED')
          add(
            'clock-not-locked',
            `${c.process} ${c.iface} is ${c.state} on ${node}${m.encoding === 'daemon' && c.value === 0 ? ' (daemon encoding: 0 is FREERUN or HOLDOVER)' : ''}`,
            { expected: 'LOCKED', actual: c.state },
            { profile: profiles[0].name, process: c.process, iface: c.iface },
          );
      // the sidecar agrees with the metrics
      if (o.eventPublisher && !params.skipSidecar && n.sidecar) {
        const s = n.sidecar;
        if (s.error) add('sidecar-unavailable', `cloud-event-proxy CurrentState of ${node}: ${s.error}`, {}, { profile: profiles[0].name });
        else {
          const metricLock = worst(leadStates.map((c) => c.state));
          if (
            s.lockState &&
            metricLock &&
            s.lockState !== metricLock &&
            !(m.encoding === 'daemon' && metricLock === 'FREERUN' && s.lockState === 'HOLDOVER')
          )
            add(
              'sidecar-state-mismatch',
              `sidecar lock-state ${s.lockState} but ${gmOnly ? 'ts2phc' : 'ptp4l'} clock_state ${metricLock} on ${node}`,
              { expected: metricLock, actual: s.lockState },
              { profile: profiles[0].name, resource: 'lock-state' },
            );
          const os = m.clockStates.find((c) => c.process === 'phc2sys');
          if (s.osClockSyncState && os && s.osClockSyncState !== os.state)
            add(
              'sidecar-state-mismatch',
              `sidecar os-clock-sync-state ${s.osClockSyncState} but phc2sys clock_state ${os.state} on ${node}`,
              { expected: os.state, actual: s.osClockSyncState },
              { profile: profiles[0].name, resource: 'os-clock-sync-state' },
            );
          // no phc2sys at all (every profile's phc2sysOpts empty, so not a process-down): the sidecar reports the
          // system clock unsynced, as cloud-event-proxy does without phc2sys metrics; nothing else shows it
          const phc2sysProfiles = profiles.filter((p) => p.phc2sysOpts.trim());
          if (s.osClockSyncState && s.osClockSyncState !== 'LOCKED' && !os && !phc2sysProfiles.length)
            add(
              'os-clock-not-synced',
              `sidecar os-clock-sync-state ${s.osClockSyncState} on ${node} and no phc2sys (phc2sysOpts empty in ${profiles.map((p) => p.name).join(', ')}): the system clock is not disciplined by PTP`,
              { expected: 'LOCKED', actual: s.osClockSyncState },
              { profile: profiles[0].name, resource: 'os-clock-sync-state' },
            );
        }
      }
    }
  }
  if (params.nodes?.length) return out.filter((f) => f.node && params.nodes!.includes(f.node));
  return out;
}

const RANK: Record<ClockState, number> = { LOCKED: 0, HOLDOVER: 1, FREERUN: 2, UNKNOWN: 3 };
function worst(states: ClockState[]): ClockState | undefined {
  return states.length ? states.reduce((a, b) => (RANK[b] > RANK[a] ? b : a)) : undefined;
}
