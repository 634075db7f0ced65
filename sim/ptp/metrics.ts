/**
 * The Prometheus text a linuxptp-daemon pod serves at 127.0.0.1:9091/metrics, from the emulated state.
 * Names, labels and values: openshift/linuxptp-daemon pkg/metrics (event publisher off: clock_state 1 LOCKED,
 * 0 anything else; clock_class{node,process}) and redhat-cne/cloud-event-proxy plugins/ptp_operator/metrics
 * (event publisher on: clock_state 0 FREERUN / 1 LOCKED / 2 HOLDOVER, clock_class with config,
 * openshift_ptp_threshold per profile). `iface` of offsets and clock states is the alias with the port digit
 * masked (ens1f0 -> ens1fx), interface_role uses the real name; a FAULTY slave port shows offset 999999
 * (pkg/daemon metrics.go faultyOffset). Label names sorted as client_golang writes them.
 */
import type { ClockState, NodePtpView, PortState } from './types.ts';

const FAULTY_OFFSET = 999999;
const ROLE: Partial<Record<PortState, number>> = {
  PASSIVE: 0,
  SLAVE: 1,
  MASTER: 2,
  PRE_MASTER: 2,
  GRAND_MASTER: 2,
  FAULTY: 3,
  INITIALIZING: 4,
  DISABLED: 4,
  LISTENING: 5,
  UNCALIBRATED: 5,
};

type Labels = Record<string, string>;
const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const lbl = (l: Labels): string =>
  `{${Object.keys(l)
    .sort()
    .map((k) => `${k}="${esc(l[k])}"`)
    .join(',')}}`;

class Families {
  private readonly fams = new Map<string, { help: string; type: string; lines: string[] }>();
  add(name: string, help: string, type: 'gauge' | 'counter', labels: Labels, value: number): void {
    let f = this.fams.get(name);
    if (!f) this.fams.set(name, (f = { help, type, lines: [] }));
    f.lines.push(`${name}${lbl(labels)} ${value}`);
  }
  text(): string {
    const out: string[] = [];
    for (const [name, f] of [...this.fams].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.lines.sort());
    }
    return `${out.join('\n')}\n`;
  }
}

const P = 'openshift_ptp_';

export function renderMetrics(v: NodePtpView, eventPublisher: boolean, cpuSeconds: number): string {
  const f = new Families();
  const node = v.node;
  const state = (s: ClockState): number => (eventPublisher ? { FREERUN: 0, LOCKED: 1, HOLDOVER: 2 }[s] : s === 'LOCKED' ? 1 : 0);
  const H = {
    offset: 'Metric to get the PTP offset',
    max: 'Metric to get the PTP max offset',
    freq: 'Metric to get the PTP frequency adjustment',
    delay: 'Metric to get the PTP delay',
    state: '0 = FREERUN, 1 = LOCKED, 2 = HOLDOVER',
    role: '0 = PASSIVE, 1 = SLAVE, 2 = MASTER, 3 = FAULTY, 4 = UNKNOWN, 5 = LISTENING',
    proc: '0 = DOWN, 1 = UP',
    restart: 'The number of times the process has restarted',
    cls: '6 = Locked, 7 = PRC unlocked in-spec, 52/187 = PRC unlocked out-of-spec, 135 = T-BC holdover in-spec, 165 = T-BC holdover out-of-spec, 248 = Default, 255 = Slave Only Clock',
  };
  let faultySlave = false;
  for (const p of v.ptp4l) {
    const cfgL = { config: p.config, node, process: 'ptp4l' };
    f.add(`${P}process_status`, H.proc, 'gauge', cfgL, p.running ? 1 : 0);
    f.add(`${P}process_restart_count`, H.restart, 'counter', cfgL, p.restarts);
    for (const port of p.ports)
      f.add(`${P}interface_role`, H.role, 'gauge', { iface: port.iface, node, process: 'ptp4l' }, ROLE[port.state] ?? 4);
    // PARENT_DATA_SET gm.ClockClass, as the daemon reads it with pmc (openshift/linuxptp-daemon pkg/daemon/daemon.go updateClockClass)
    f.add(`${P}clock_class`, H.cls, 'gauge', eventPublisher ? cfgL : { node, process: 'ptp4l' }, p.reportedClockClass);
    const slaveIdx = p.ports.findIndex((x) => !x.masterOnly);
    if (slaveIdx < 0 || !p.metricIface) continue;
    const faulty = p.ports[slaveIdx].state === 'FAULTY' || !p.running;
    faultySlave ||= faulty;
    const l = { from: 'master', iface: p.metricIface, node, process: 'ptp4l' };
    f.add(`${P}offset_ns`, H.offset, 'gauge', l, faulty ? FAULTY_OFFSET : p.offsetNs);
    f.add(`${P}max_offset_ns`, H.max, 'gauge', l, faulty ? FAULTY_OFFSET : Math.abs(p.offsetNs));
    f.add(`${P}frequency_adjustment_ns`, H.freq, 'gauge', l, p.freqPpb);
    f.add(`${P}delay_ns`, H.delay, 'gauge', l, p.pathDelayNs);
    f.add(
      `${P}clock_state`,
      H.state,
      'gauge',
      { iface: p.metricIface, node, process: 'ptp4l' },
      state(faulty && !eventPublisher ? 'FREERUN' : p.clockState),
    );
    // a T-BC's status as cloud-event-proxy exports it (ParseTBCLogs: offset and state of the last T-BC-STATUS change)
    if (eventPublisher && p.tbc) {
      const tl = { iface: p.metricIface, node, process: 'T-BC' };
      f.add(`${P}offset_ns`, H.offset, 'gauge', { ...tl, from: 'T-BC' }, p.tbc.offsetNs);
      f.add(`${P}clock_state`, H.state, 'gauge', tl, state(p.tbc.state));
    }
  }
  for (const h of v.processes) {
    const cfgL = { config: h.config, node, process: h.process };
    f.add(`${P}process_status`, H.proc, 'gauge', cfgL, h.running ? 1 : 0);
    f.add(`${P}process_restart_count`, H.restart, 'counter', cfgL, h.restarts);
    const iface = h.process === 'phc2sys' ? 'CLOCK_REALTIME' : h.iface.replace(/\d$/, 'x');
    const l = { from: h.process === 'phc2sys' ? 'phc' : 'master', iface, node, process: h.process };
    const faulty = h.process === 'phc2sys' && faultySlave;
    f.add(`${P}offset_ns`, H.offset, 'gauge', l, faulty ? FAULTY_OFFSET : h.offsetNs);
    f.add(`${P}max_offset_ns`, H.max, 'gauge', l, faulty ? FAULTY_OFFSET : Math.abs(h.offsetNs));
    f.add(`${P}frequency_adjustment_ns`, H.freq, 'gauge', l, h.freqPpb);
    f.add(
      `${P}clock_state`,
      H.state,
      'gauge',
      { iface, node, process: h.process },
      state(faulty ? 'FREERUN' : h.running ? h.clockState : 'FREERUN'),
    );
  }
  if (eventPublisher)
    for (const [profile, t] of Object.entries(v.thresholds)) {
      const help = 'Threshold values configured for the PTP profile';
      f.add(`${P}threshold`, help, 'gauge', { node, profile, threshold: 'HoldOverTimeout' }, t.holdOverTimeoutS);
      f.add(`${P}threshold`, help, 'gauge', { node, profile, threshold: 'MaxOffsetThreshold' }, t.maxOffsetNs);
      f.add(`${P}threshold`, help, 'gauge', { node, profile, threshold: 'MinOffsetThreshold' }, t.minOffsetNs);
    }
  const std =
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n' +
    `process_cpu_seconds_total ${cpuSeconds.toFixed(2)}\n` +
    '# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 42\n';
  return f.text() + std;
}
