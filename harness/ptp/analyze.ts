/**
 * Streaming analysis of a linuxptp-daemon log (pure state machine + a stream driver).
 *
 * Memory is bounded whatever the log size: counts and per-(process, config, iface) offset aggregates are
 * O(configs), and the lists (port transitions, clock-class changes, fault examples) keep at most `keep`
 * entries each while their totals stay exact. A line it cannot parse is counted, never fatal.
 *
 * Health is scored as the PTP operator MCP server does it (aneeshkp/ptp-operator-mcp-server index.js,
 * performFaultAnalysis): total faults 0 HEALTHY, < 10 MINOR, < 50 MODERATE, else CRITICAL; here the faults
 * are typed records, not substring matches.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseLine, type PortState, type PtpLogRecord } from './log.ts';

export type Health = 'HEALTHY' | 'MINOR' | 'MODERATE' | 'CRITICAL';

export const FAULT_KINDS = {
  faulty: 'a port went to FAULTY (link down, tx timestamp loss, a driver fault)',
  holdover: 'a clock entered holdover (ts2phc/dpll holdover, a daemon FSM to HOLDOVER)',
  'tx-timeout': 'ptp4l timed out polling for a tx timestamp (driver / tx_timestamp_timeout too small)',
  'clock-jump': 'clockcheck reported a jump or frequency change, or a servo stepped (s1) after it had locked',
  'offset-out-of-range': 'an offset sample with |offset| > maxOffset ns while the servo was locked (s2/s3)',
  'process-restart': 'a PTP process stopped or the daemon recreated it (PTP_PROCESS_STATUS:0, Recreating ...)',
  'config-error': 'an interface or configuration error (unsupported timestamping mode, PHC device mismatch, ...)',
} as const;
export type FaultKind = keyof typeof FAULT_KINDS;

export interface PortTransition {
  process: string;
  config?: string;
  port: number;
  iface?: string;
  from: PortState;
  to: PortState;
  event: string;
  fault?: string;
  at?: string;
  line: number;
}

export interface OffsetStats {
  process: string;
  config?: string;
  iface: string;
  from: string;
  samples: number;
  /** max |offset| ns */
  maxAbsNs: number;
  rmsNs: number;
  /** last sample's offset and servo state */
  last: { offset: number; servo: number };
  /** samples outside the range while locked (s2/s3) */
  outOfRange: number;
}

export interface ClockClassChange {
  config?: string;
  from?: number;
  to: number;
  at?: string;
  line: number;
}

export interface FaultEntry {
  kind: FaultKind;
  process?: string;
  config?: string;
  iface?: string;
  at?: string;
  line: number;
  text: string;
}

export interface LogAnalysis {
  lines: number;
  /** lines that were neither klog nor linuxptp lines */
  unparsable: number;
  /** the first few unparsable lines, to see what they were */
  unparsableExamples: string[];
  records: Partial<Record<PtpLogRecord['type'], number>>;
  portTransitions: PortTransition[];
  portTransitionsTotal: number;
  /** transitions into each state */
  counts: Partial<Record<PortState, number>>;
  offsets: OffsetStats[];
  clockClass: ClockClassChange[];
  clockClassTotal: number;
  faults: FaultEntry[];
  faultCounts: Record<FaultKind, number>;
  totalFaults: number;
  health: Health;
  /** last known state per port (`config/port iface`) */
  lastPortState: Record<string, PortState>;
  maxOffsetNs: number;
}

export interface AnalyzeOptions {
  /** |offset| above this (ns) while locked is a fault (default 100, the PtpConfig maxOffsetThreshold default) */
  maxOffsetNs?: number;
  /** entries kept per list (totals stay exact); default 1000 */
  keep?: number;
}

/**
 * A copy of a string that does not pin the input it was sliced from: V8 substrings of a line keep the whole
 * readline chunk (64 KB) alive, so kept list entries would hold the log in memory chunk by chunk.
 */
const own = <T extends string | undefined>(s: T): T => (s === undefined ? s : ((' ' + s).slice(1) as T));

export function healthOf(totalFaults: number): Health {
  if (totalFaults === 0) return 'HEALTHY';
  if (totalFaults < 10) return 'MINOR';
  if (totalFaults < 50) return 'MODERATE';
  return 'CRITICAL';
}

interface OffsetAcc extends OffsetStats {
  sumSq: number;
}

export class LogAnalyzer {
  private n = 0;
  private unparsable = 0;
  private unparsableExamples: string[] = [];
  private records: Partial<Record<PtpLogRecord['type'], number>> = {};
  private transitions: PortTransition[] = [];
  private transitionsTotal = 0;
  private counts: Partial<Record<PortState, number>> = {};
  private offsets = new Map<string, OffsetAcc>();
  private classes: ClockClassChange[] = [];
  private classesTotal = 0;
  private lastClass = new Map<string, number>();
  private faults: FaultEntry[] = [];
  private faultCounts = Object.fromEntries(Object.keys(FAULT_KINDS).map((k) => [k, 0])) as Record<FaultKind, number>;
  private locked = new Set<string>();
  private portState = new Map<string, PortState>();
  private readonly maxOffset: number;
  private readonly keep: number;

  constructor(opts: AnalyzeOptions = {}) {
    this.maxOffset = opts.maxOffsetNs ?? 100;
    this.keep = opts.keep ?? 1000;
  }

  private fault(
    kind: FaultKind,
    line: number,
    r: PtpLogRecord,
    text: string,
    iface?: string,
    process: string | undefined = r.process,
  ): void {
    this.faultCounts[kind]++;
    if (this.faults.length < this.keep)
      this.faults.push({ kind, process: own(process), config: own(r.config), iface: own(iface), at: own(r.at), line, text: own(text) });
  }

  push(raw: string): void {
    const line = ++this.n;
    if (raw.trim() === '') return;
    const r = parseLine(raw);
    if (!r) {
      this.unparsable++;
      if (this.unparsableExamples.length < 5) this.unparsableExamples.push(own(raw.slice(0, 200)));
      return;
    }
    this.records[r.type] = (this.records[r.type] ?? 0) + 1;
    switch (r.type) {
      case 'offset': {
        const key = `${r.process}\u0000${r.config ?? ''}\u0000${r.iface}`;
        let a = this.offsets.get(key);
        if (!a) {
          a = {
            process: r.process,
            config: own(r.config),
            iface: own(r.iface),
            from: own(r.from),
            samples: 0,
            maxAbsNs: 0,
            rmsNs: 0,
            sumSq: 0,
            last: { offset: r.offset, servo: r.servo },
            outOfRange: 0,
          };
          this.offsets.set(key, a);
        }
        a.samples++;
        a.sumSq += r.offset * r.offset;
        a.maxAbsNs = Math.max(a.maxAbsNs, Math.abs(r.offset));
        a.last = { offset: r.offset, servo: r.servo };
        const wasLocked = this.locked.has(key);
        // a holdover sample (ts2phc / dpll / T-BC status in holdover) is not a servo step: it is counted as holdover below
        if (r.holdover) this.locked.delete(key);
        else if (r.servo >= 2) {
          this.locked.add(key);
          if (Math.abs(r.offset) > this.maxOffset) {
            a.outOfRange++;
            this.fault('offset-out-of-range', line, r, `${r.process} ${r.iface} offset ${r.offset} ns (s${r.servo})`, r.iface);
          }
        } else if (r.servo === 1 && wasLocked) {
          this.locked.delete(key);
          this.fault('clock-jump', line, r, `${r.process} ${r.iface} servo stepped (s1) after lock, offset ${r.offset} ns`, r.iface);
        } else if (r.servo === 0) this.locked.delete(key);
        if (r.holdover) this.fault('holdover', line, r, `${r.process} ${r.iface} in holdover`, r.iface);
        break;
      }
      case 'port': {
        this.transitionsTotal++;
        this.counts[r.to] = (this.counts[r.to] ?? 0) + 1;
        this.portState.set(own(`${r.config ?? ''}/${r.port}${r.iface ? ` ${r.iface}` : ''}`), own(r.to));
        if (this.transitions.length < this.keep)
          this.transitions.push({
            process: own(r.process ?? 'ptp4l'),
            config: own(r.config),
            port: r.port,
            iface: own(r.iface),
            from: own(r.from),
            to: own(r.to),
            event: own(r.event),
            fault: own(r.fault),
            at: own(r.at),
            line,
          });
        if (r.to === 'FAULTY')
          this.fault('faulty', line, r, `port ${r.port} (${r.iface ?? '?'}): ${r.from} to FAULTY on ${r.event}`, r.iface);
        break;
      }
      case 'tx-timeout':
        this.fault('tx-timeout', line, r, r.text);
        break;
      case 'clockcheck':
        this.fault('clock-jump', line, r, r.text);
        break;
      case 'process-status':
        if (!r.up) this.fault('process-restart', line, r, r.text);
        break;
      case 'restart':
        // a daemon (klog) line: the process is the one it recreates
        this.fault('process-restart', line, r, `Recreating ${r.restarted}...`, undefined, r.restarted);
        break;
      case 'fsm':
      case 'holdover':
        if (r.type === 'holdover' || r.to === 'HOLDOVER') this.fault('holdover', line, r, r.text);
        break;
      case 'config-error':
        this.fault('config-error', line, r, r.text);
        break;
      case 'clock-class': {
        const key = r.config ?? '';
        const prev = this.lastClass.get(key);
        if (prev !== r.clockClass) {
          this.classesTotal++;
          if (this.classes.length < this.keep)
            this.classes.push({ config: own(r.config), from: prev, to: r.clockClass, at: own(r.at), line });
          this.lastClass.set(key, r.clockClass);
        }
        break;
      }
      default:
        break;
    }
  }

  result(): LogAnalysis {
    const offsets: OffsetStats[] = [...this.offsets.values()].map(({ sumSq, ...o }) => ({
      ...o,
      rmsNs: o.samples ? Math.round(Math.sqrt(sumSq / o.samples) * 10) / 10 : 0,
    }));
    const totalFaults = Object.values(this.faultCounts).reduce((a, b) => a + b, 0);
    return {
      lines: this.n,
      unparsable: this.unparsable,
      unparsableExamples: this.unparsableExamples,
      records: this.records,
      portTransitions: this.transitions,
      portTransitionsTotal: this.transitionsTotal,
      counts: this.counts,
      offsets,
      clockClass: this.classes,
      clockClassTotal: this.classesTotal,
      faults: this.faults,
      faultCounts: this.faultCounts,
      totalFaults,
      health: healthOf(totalFaults),
      lastPortState: Object.fromEntries(this.portState),
      maxOffsetNs: this.maxOffset,
    };
  }
}

/** Analyse a whole text already in memory (MCP tools: logs arrive as one string). */
export function analyzeText(text: string, opts: AnalyzeOptions = {}): LogAnalysis {
  const a = new LogAnalyzer(opts);
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (end > start || nl >= 0) a.push(text.slice(start, end));
    if (nl < 0) break;
    start = nl + 1;
  }
  return a.result();
}

/** Analyse a stream line by line (files, stdin): never holds the log. */
export async function analyzeStream(input: Readable, opts: AnalyzeOptions = {}): Promise<LogAnalysis> {
  const a = new LogAnalyzer(opts);
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) a.push(line);
  return a.result();
}

/** A compact human rendering (CLI and MCP). */
export function renderAnalysis(r: LogAnalysis, opts: { examples?: number } = {}): string {
  const ex = opts.examples ?? 5;
  const out: string[] = [];
  out.push(
    `PTP log analysis: ${r.health} (${r.totalFaults} faults) — ${r.lines} lines, ${r.unparsable} unparsable, ${r.portTransitionsTotal} port transitions`,
  );
  const states = Object.entries(r.counts)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  if (states) out.push(`transitions into: ${states}`);
  const faults = Object.entries(r.faultCounts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  out.push(`faults: ${faults || 'none'}`);
  if (r.offsets.length) {
    out.push('offsets (ns):');
    for (const o of r.offsets)
      out.push(
        `  ${o.process} ${o.config ?? '-'} ${o.iface}: ${o.samples} samples, max |offset| ${o.maxAbsNs}, rms ${o.rmsNs}, last ${o.last.offset} s${o.last.servo}${o.outOfRange ? `, ${o.outOfRange} out of range` : ''}`,
      );
  }
  if (r.clockClassTotal) out.push(`clock class: ${r.clockClass.map((c) => `${c.from ?? '?'}->${c.to}`).join(', ')}`);
  const tail = r.portTransitions.slice(-ex);
  if (tail.length) {
    out.push('last port transitions:');
    for (const t of tail)
      out.push(
        `  ${t.at ?? ''} ${t.config ?? ''} port ${t.port} (${t.iface ?? '?'}): ${t.from} to ${t.to} on ${t.event}${t.fault ? ` (${t.fault})` : ''}`,
      );
  }
  const fx = r.faults.slice(-ex);
  if (fx.length) {
    out.push('last faults:');
    for (const f of fx) out.push(`  [${f.kind}] line ${f.line}: ${f.text.slice(0, 160)}`);
  }
  if (r.unparsable) out.push(`unparsable lines, e.g.: ${r.unparsableExamples.slice(0, 2).join(' | ').slice(0, 300)}`);
  return out.join('\n');
}
