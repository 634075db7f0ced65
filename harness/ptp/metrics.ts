/**
 * The PTP metrics of a linuxptp-daemon pod (`curl -s localhost:9091/metrics` in linuxptp-daemon-container),
 * Prometheus text format, parsed and interpreted (pure).
 *
 * Names, labels and values: openshift/linuxptp-daemon pkg/metrics/register.go (daemon path, event
 * publisher off) and redhat-cne/cloud-event-proxy plugins/ptp_operator/metrics/registry.go (sidecar path,
 * `enableEventPublisher: true`). The two encode clock_state differently: the sidecar writes FREERUN 0,
 * LOCKED 1, HOLDOVER 2; the daemon path writes 1 for LOCKED and 0 for anything else (HOLDOVER too, until
 * openshift/linuxptp-daemon PR #628). The sidecar path also exports `openshift_ptp_threshold`, which is how
 * the encoding is told apart.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedText {
  samples: Sample[];
  /** lines that were not comments, blank or samples */
  unparsable: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;

function parseLabels(s: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    while (s[i] === ',' || s[i] === ' ') i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0 || s[eq + 1] !== '"') return undefined;
    const key = s.slice(i, eq).trim();
    let j = eq + 2;
    let v = '';
    while (j < s.length && s[j] !== '"') {
      if (s[j] === '\\' && j + 1 < s.length) {
        const c = s[j + 1];
        v += c === 'n' ? '\n' : c;
        j += 2;
      } else v += s[j++];
    }
    if (s[j] !== '"') return undefined;
    out[key] = v;
    i = j + 1;
  }
  return out;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  return Number(v);
}

/** Prometheus text exposition format -> samples. */
export function parsePrometheusText(text: string): ParsedText {
  const samples: Sample[] = [];
  let unparsable = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    const labels = m ? (m[3] ? parseLabels(m[3]) : {}) : undefined;
    const value = m ? parseValue(m[4]) : NaN;
    if (!m || !labels || (Number.isNaN(value) && m[4] !== 'NaN')) {
      unparsable++;
      continue;
    }
    samples.push({ name: m[1], labels, value });
  }
  return { samples, unparsable };
}

export type ClockState = 'FREERUN' | 'LOCKED' | 'HOLDOVER' | 'UNKNOWN';
export type Role = 'PASSIVE' | 'SLAVE' | 'MASTER' | 'FAULTY' | 'UNKNOWN' | 'LISTENING';
export type Encoding = 'cloud-event-proxy' | 'daemon';

/** openshift_ptp_interface_role values (linuxptp-daemon pkg/metrics). */
export const ROLE_BY_VALUE: Record<number, Role> = { 0: 'PASSIVE', 1: 'SLAVE', 2: 'MASTER', 3: 'FAULTY', 4: 'UNKNOWN', 5: 'LISTENING' };
/** The daemon's offset when the slave port is FAULTY (pkg/daemon/metrics.go faultyOffset). */
export const FAULTY_OFFSET = 999999;

export function decodeClockState(value: number, encoding: Encoding): ClockState {
  if (value === 1) return 'LOCKED';
  if (value === 2) return 'HOLDOVER';
  if (value === 0) return 'FREERUN';
  return encoding === 'daemon' ? 'FREERUN' : 'UNKNOWN';
}

export interface PtpMetrics {
  encoding: Encoding;
  node?: string;
  roles: { process: string; iface: string; role: Role; value: number }[];
  clockStates: { process: string; iface: string; state: ClockState; value: number }[];
  offsets: { process: string; iface: string; from: string; offsetNs: number }[];
  maxOffsets: { process: string; iface: string; from: string; maxOffsetNs: number }[];
  processes: { process: string; config: string; up: boolean; restarts?: number }[];
  clockClass: { process: string; config?: string; clockClass: number }[];
  thresholds: { profile: string; threshold: string; value: number }[];
  samples: number;
  unparsable: number;
}

const P = 'openshift_ptp_';

/** Interpret the PTP families; unknown families are ignored (process_cpu_*, go_*, ...). */
export function interpretPtpMetrics(text: string): PtpMetrics {
  const { samples, unparsable } = parsePrometheusText(text);
  const encoding: Encoding = samples.some((s) => s.name === `${P}threshold` || s.name === `${P}nmea_status`)
    ? 'cloud-event-proxy'
    : 'daemon';
  const m: PtpMetrics = {
    encoding,
    roles: [],
    clockStates: [],
    offsets: [],
    maxOffsets: [],
    processes: [],
    clockClass: [],
    thresholds: [],
    samples: 0,
    unparsable,
  };
  const restarts = new Map<string, number>();
  for (const s of samples) {
    if (!s.name.startsWith(P)) continue;
    m.samples++;
    const l = s.labels;
    m.node ??= l.node;
    switch (s.name.slice(P.length)) {
      case 'interface_role':
        m.roles.push({ process: l.process ?? '', iface: l.iface ?? '', role: ROLE_BY_VALUE[s.value] ?? 'UNKNOWN', value: s.value });
        break;
      case 'clock_state':
        m.clockStates.push({ process: l.process ?? '', iface: l.iface ?? '', state: decodeClockState(s.value, encoding), value: s.value });
        break;
      case 'offset_ns':
        m.offsets.push({ process: l.process ?? '', iface: l.iface ?? '', from: l.from ?? '', offsetNs: s.value });
        break;
      case 'max_offset_ns':
        m.maxOffsets.push({ process: l.process ?? '', iface: l.iface ?? '', from: l.from ?? '', maxOffsetNs: s.value });
        break;
      case 'process_status':
        m.processes.push({ process: l.process ?? '', config: l.config ?? '', up: s.value === 1 });
        break;
      case 'process_restart_count':
        restarts.set(`${l.process}\u0000${l.config}`, s.value);
        break;
      case 'clock_class':
        m.clockClass.push({ process: l.process ?? '', config: l.config, clockClass: s.value });
        break;
      case 'threshold':
        m.thresholds.push({ profile: l.profile ?? '', threshold: l.threshold ?? '', value: s.value });
        break;
      default:
        break;
    }
  }
  for (const p of m.processes) p.restarts = restarts.get(`${p.process}\u0000${p.config}`);
  return m;
}

/** A few lines for humans (MCP, CLI). */
export function renderPtpMetrics(m: PtpMetrics): string {
  const out: string[] = [`PTP metrics (${m.encoding} encoding${m.node ? `, node ${m.node}` : ''}): ${m.samples} samples`];
  if (m.processes.length)
    out.push(
      `processes: ${m.processes.map((p) => `${p.process}(${p.config}) ${p.up ? 'UP' : 'DOWN'}${p.restarts !== undefined ? ` restarts ${p.restarts}` : ''}`).join(', ')}`,
    );
  if (m.roles.length) out.push(`interface roles: ${m.roles.map((r) => `${r.process} ${r.iface}=${r.role}`).join(', ')}`);
  if (m.clockStates.length)
    out.push(
      `clock states: ${m.clockStates.map((c) => `${c.process} ${c.iface}=${c.state}${m.encoding === 'daemon' && c.value === 0 ? ' (daemon encoding: FREERUN or HOLDOVER)' : ''}`).join(', ')}`,
    );
  if (m.offsets.length)
    out.push(
      `offsets (ns): ${m.offsets.map((o) => `${o.process} ${o.iface} from ${o.from}=${o.offsetNs}${o.offsetNs === FAULTY_OFFSET ? ' (FAULTY marker)' : ''}`).join(', ')}`,
    );
  if (m.clockClass.length)
    out.push(`clock class: ${m.clockClass.map((c) => `${c.process}${c.config ? `(${c.config})` : ''}=${c.clockClass}`).join(', ')}`);
  if (m.thresholds.length) out.push(`thresholds: ${m.thresholds.map((t) => `${t.profile} ${t.threshold}=${t.value}`).join(', ')}`);
  return out.join('\n');
}
