/**
 * One line of a linuxptp-daemon container log -> a typed record (pure).
 *
 * The daemon log (`oc logs <linuxptp-daemon pod> -c linuxptp-daemon-container`, a must-gather) interleaves
 * - klog lines of the daemon: `I0911 14:41:53.794135  871479 event_tbc.go:161] BC FSM: LOCKED to HOLDOVER`,
 *   some carrying synthesised process lines (`daemon.go:928] ptp4l[1757326326]:[ptp4l.0.config] PTP_PROCESS_STATUS:1`);
 * - raw lines of the processes it runs, one config each, in linuxptp's stdout format
 *   `<prog>[<mono_sec>.<ms>]: [<tag>:<level>] <msg>` (richardcochran/linuxptp print.c; the daemon sets the tag
 *   `[ptp4l.<N>.config:{level}]`, openshift/linuxptp-daemon pkg/daemon/daemon.go);
 * - optionally prefixed by an RFC 3339 timestamp (`oc logs --timestamps`).
 *
 * Message formats (linuxptp clock.c, phc2sys.c, ts2phc.c, port.c, sk.c, clockcheck.c):
 *   ptp4l    `master offset %10d s%d freq %+7.0f path delay %9d`
 *   ptp4l    `rms %4.0f max %4.0f freq %+6.0f +/- %3.0f [delay %5.0f +/- %3.0f]`
 *   phc2sys  `%s %s offset %9d s%d freq %+7.0f [delay %6d]`   (CLOCK_REALTIME phc offset ...)
 *   ts2phc   `%s [master ]offset %10d s%d freq %+7.0f[ holdover]` (4.x has no "master")
 *   ports    `port N (ifname): FROM to TO on EVENT[ (FAULT)]`, older `port N: ...`; `port N (if): link down|up`
 */

export const PORT_STATES = [
  'INITIALIZING',
  'FAULTY',
  'DISABLED',
  'LISTENING',
  'PRE_MASTER',
  'MASTER',
  'PASSIVE',
  'UNCALIBRATED',
  'SLAVE',
  'GRAND_MASTER',
] as const;
export type PortState = (typeof PORT_STATES)[number];

/** The processes whose lines appear in the daemon log (plus the E810 plugin's dpll/gnss pseudo-processes). */
export type PtpProcess = 'ptp4l' | 'phc2sys' | 'ts2phc' | 'dpll' | 'gnss' | 'gm' | 'T-BC' | 'synce4l' | 'chronyd' | 'gpsd' | 'gpspipe';

interface Base {
  /** the line's time: RFC 3339 prefix, else klog time (MMDD hh:mm:ss.us), else the process's monotonic seconds */
  at?: string;
  /** monotonic / epoch seconds from `<prog>[sec.ms]`, when the line has one */
  mono?: number;
  process?: PtpProcess;
  /** `ptp4l.0.config`, `ts2phc.1.config` (phc2sys lines carry the ptp4l config they follow) */
  config?: string;
  level?: number;
}

export type PtpLogBody =
  | {
      type: 'offset';
      process: PtpProcess;
      iface: string;
      from: string;
      offset: number;
      servo: number;
      freq?: number;
      delay?: number;
      holdover: boolean;
    }
  | { type: 'summary'; process: PtpProcess; iface?: string; rms: number; max: number; freq?: number; delay?: number }
  | { type: 'port'; port: number; iface?: string; from: PortState; to: PortState; event: string; fault?: string }
  | { type: 'link'; port: number; iface?: string; up: boolean }
  | { type: 'tx-timeout'; text: string }
  | { type: 'clockcheck'; text: string }
  | { type: 'process-status'; up: boolean; text: string }
  | { type: 'clock-class'; clockClass: number }
  | { type: 'restart'; restarted: string }
  | { type: 'fsm'; from: string; to: string; text: string }
  | { type: 'holdover'; text: string }
  | { type: 'grandmaster'; text: string }
  | { type: 'config-error'; text: string }
  | { type: 'other'; text: string };
export type PtpLogRecord = Base & PtpLogBody;

export type PtpLogRecordType = PtpLogRecord['type'];

const ISO_PREFIX = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))\s+/;
/** klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg */
const KLOG = /^([IWEF])(\d{4}) (\d\d:\d\d:\d\d\.\d+)\s+\d+\s+([^\s\]]+:\d+)\]\s?(.*)$/;
/** `<prog>[<sec>[.<ms>]]:` then an optional `[tag[:level]]` (space after `]:` optional: daemon-synthesised lines have none) */
const PROC =
  /^(ptp4l|phc2sys|ts2phc|dpll|gnss|gm|T-BC|synce4l|chronyd|gpsd|gpspipe)\[(\d+(?:\.\d+)?)\]:\s*(?:\[([^\]\s:]+)(?::(\d+))?\]\s*)?(.*)$/;

const PTP4L_OFFSET = /^master offset\s+(-?\d+)\s+s(\d)\s+freq\s+([+-]?\d+)(?:\s+path delay\s+(-?\d+))?/;
const PHC2SYS_OFFSET = /^(\S+)\s+(phc|sys|pps|\S+)\s+offset\s+(-?\d+)\s+s(\d)\s+freq\s+([+-]?\d+)(?:\s+delay\s+(-?\d+))?/;
const TS2PHC_OFFSET = /^(\S+)\s+(?:(master)\s+)?offset\s+(-?\d+)\s+s(\d)\s+freq\s+([+-]?\d+)(\s+holdover)?/;
const DPLL = /^(\S+)\s+frequency_status\s+(-?\d+)\s+offset\s+(-?\d+)\s+phase_status\s+(-?\d+)(?:\s+pps_status\s+(-?\d+))?\s+s(\d)/;
/**
 * linuxptp-daemon's boundary-clock status, every second (`T-BC[<epoch>]:[<cfg>] <iface> offset <ns> T-BC-STATUS s<N>`; s2 locked,
 * s1 holdover, s0 free-run: openshift-docs T-BC holdover verification; parsed by redhat-cne/cloud-event-proxy
 * plugins/ptp_operator/metrics/logparser.go ParseTBCLogs, which also accepts `s3 holdover`)
 */
const TBC_STATUS = /^(\S+)\s+offset\s+(-?\d+)\s+T-BC-STATUS\s+s(\d)(\s+holdover)?/;
const SUMMARY = /^(?:(\S+)\s+)?rms\s+(\d+)\s+max\s+(\d+)\s+freq\s+([+-]?\d+)\s+\+\/-\s+\d+(?:\s+delay\s+(\d+)\s+\+\/-\s+\d+)?/;
const PORT = /^port (\d+)(?: \(([^)]*)\))?: (\w+) to (\w+) on (\w+)(?: \((\w+)\))?/;
const LINK = /^port (\d+)(?: \(([^)]*)\))?: link (down|up)/;
const PROCESS_STATUS = /PTP_PROCESS_(STATUS|STOPPED):(\d)/;
const CLOCK_CLASS = /CLOCK_CLASS_CHANGE[:\s]+(\d+)/;
const RECREATING = /Recreating (\S+?)\.\.\./;
const FSM = /\bFSM:?\s+(\w+) to (\w+)/;

const isPortState = (s: string): s is PortState => (PORT_STATES as readonly string[]).includes(s);

/** Parse a process message (after `<prog>[..]: [tag]`). */
function parseMessage(process: PtpProcess, msg: string): PtpLogBody {
  let m: RegExpExecArray | null;
  if (process === 'ptp4l' && (m = PTP4L_OFFSET.exec(msg))) {
    return {
      type: 'offset',
      process,
      iface: 'master',
      from: 'master',
      offset: Number(m[1]),
      servo: Number(m[2]),
      freq: Number(m[3]),
      delay: m[4] === undefined ? undefined : Number(m[4]),
      holdover: false,
    };
  }
  if (process === 'phc2sys' && (m = PHC2SYS_OFFSET.exec(msg))) {
    return {
      type: 'offset',
      process,
      iface: m[1],
      from: m[2],
      offset: Number(m[3]),
      servo: Number(m[4]),
      freq: Number(m[5]),
      delay: m[6] === undefined ? undefined : Number(m[6]),
      holdover: false,
    };
  }
  if (process === 'T-BC' && (m = TBC_STATUS.exec(msg))) {
    const servo = Number(m[3]);
    return { type: 'offset', process, iface: m[1], from: 'T-BC', offset: Number(m[2]), servo, holdover: servo === 1 || m[4] !== undefined };
  }
  if (process === 'ts2phc' && (m = TS2PHC_OFFSET.exec(msg))) {
    return {
      type: 'offset',
      process,
      iface: m[1],
      from: 'master',
      offset: Number(m[3]),
      servo: Number(m[4]),
      freq: Number(m[5]),
      holdover: !!m[6],
    };
  }
  if (process === 'dpll' && (m = DPLL.exec(msg))) {
    return { type: 'offset', process, iface: m[1], from: 'dpll', offset: Number(m[3]), servo: Number(m[6]), holdover: m[2] === '4' };
  }
  if ((m = SUMMARY.exec(msg))) {
    return {
      type: 'summary',
      process,
      iface: m[1],
      rms: Number(m[2]),
      max: Number(m[3]),
      freq: Number(m[4]),
      delay: m[5] === undefined ? undefined : Number(m[5]),
    };
  }
  if ((m = PORT.exec(msg)) && isPortState(m[3]) && isPortState(m[4])) {
    return { type: 'port', port: Number(m[1]), iface: m[2], from: m[3], to: m[4], event: m[5], fault: m[6] };
  }
  if ((m = LINK.exec(msg))) return { type: 'link', port: Number(m[1]), iface: m[2], up: m[3] === 'up' };
  return parseFreeText(msg);
}

/** Lines recognised anywhere (process messages and klog messages alike). */
function parseFreeText(msg: string): PtpLogBody {
  let m: RegExpExecArray | null;
  if ((m = PROCESS_STATUS.exec(msg))) return { type: 'process-status', up: m[1] === 'STATUS' && m[2] === '1', text: msg };
  if ((m = CLOCK_CLASS.exec(msg))) return { type: 'clock-class', clockClass: Number(m[1]) };
  if ((m = RECREATING.exec(msg))) return { type: 'restart', restarted: m[1] };
  if (/timed out while polling for tx timestamp|recvmsg tx timestamp failed/.test(msg)) return { type: 'tx-timeout', text: msg };
  if (/^clockcheck: /.test(msg) || /clock jumped (forward|backward)/.test(msg)) return { type: 'clockcheck', text: msg };
  if ((m = FSM.exec(msg))) return { type: 'fsm', from: m[1], to: m[2], text: msg };
  if (/\bholdover\b/i.test(msg) && /\b(enter|entering|in|to|start)\b/i.test(msg)) return { type: 'holdover', text: msg };
  if (/assuming the grand master role|selected local clock .* as best master/.test(msg)) return { type: 'grandmaster', text: msg };
  if (
    /does not support requested timestamping mode|PHC device mismatch|failed to open configuration file|config item .* unknown|unknown option/i.test(
      msg,
    )
  )
    return { type: 'config-error', text: msg };
  return { type: 'other', text: msg };
}

/** Parse one log line. `undefined` when the line is neither a klog nor a linuxptp line (counted as unparsable). */
export function parseLine(raw: string): PtpLogRecord | undefined {
  let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  let at: string | undefined;
  const iso = ISO_PREFIX.exec(line);
  if (iso) {
    at = iso[1];
    line = line.slice(iso[0].length);
  }
  const k = KLOG.exec(line);
  if (k) {
    at ??= `${k[2].slice(0, 2)}-${k[2].slice(2)} ${k[3]}`;
    const msg = k[5];
    // a synthesised process line inside the klog message
    const idx = msg.search(/\b(ptp4l|phc2sys|ts2phc|dpll|gnss|gm|synce4l)\[\d/);
    if (idx >= 0) {
      const inner = parseProcessLine(msg.slice(idx));
      if (inner) {
        inner.at = at;
        return inner;
      }
    }
    const r = parseFreeText(msg) as PtpLogRecord;
    r.at = at;
    return r;
  }
  const p = parseProcessLine(line);
  if (p && at) p.at = at;
  if (p) return p;
  return undefined;
}

function parseProcessLine(line: string): PtpLogRecord | undefined {
  const m = PROC.exec(line);
  if (!m) return undefined;
  const process = m[1] as PtpProcess;
  const r = parseMessage(process, m[5]) as PtpLogRecord;
  r.process = process;
  r.mono = Number(m[2]);
  r.at = m[2];
  if (m[3] !== undefined) r.config = m[3];
  if (m[4] !== undefined) r.level = Number(m[4]);
  return r;
}
