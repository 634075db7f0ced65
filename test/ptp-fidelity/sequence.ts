/**
 * The fidelity comparison's common ground: the slave port's steps (link lines and port transitions, as
 * `link down` / `SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)`) between two events, from parsed
 * daemon or ptp4l log records (harness/ptp/log.ts parses both). The port is named `port N:` before
 * linuxptp 4.0 and `port N (ifname):` since (linuxptp port.c); the steps leave the name out.
 */
import type { PtpLogRecord } from '../../harness/ptp/log.ts';

export type Phase = 'startup' | 'linkDown' | 'linkUp' | 'announceStop';

export function stepOf(r: PtpLogRecord | undefined, port: number): string | undefined {
  if (!r || r.process !== 'ptp4l') return undefined;
  if (r.type === 'link' && r.port === port) return `link ${r.up ? 'up' : 'down'}`;
  if (r.type === 'port' && r.port === port) return `${r.from} to ${r.to} on ${r.event}${r.fault ? ` (${r.fault})` : ''}`;
  return undefined;
}

/** The steps of `port` in records, in order. */
export function steps(recs: (PtpLogRecord | undefined)[], port: number): string[] {
  return recs.map((r) => stepOf(r, port)).filter((s): s is string => s !== undefined);
}

/** Masks what differs from run to run (clock ids, numbers, interface names), keeping the message's kind. */
export function lineKind(text: string): string {
  return text
    .replace(/^\S+\[\d+(?:\.\d+)?\]:\s*\[[^\]]+\]\s*/, '')
    .replace(/\bport (\d+) \([^)]*\):/g, 'port $1:')
    .replace(/[0-9a-f]{6}\.[0-9a-f]{4}\.[0-9a-f]{6}(-\d+)?/g, '<clock-id>')
    .replace(/-?\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}
