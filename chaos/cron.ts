/**
 * Schedule timing: `@every <Go duration>`, the cron descriptors (@hourly ...) and 5-field cron, as the
 * Chaos Mesh Schedule controller reads spec.schedule (robfig/cron with the standard parser).
 *
 * Sources: chaos-mesh controllers/schedule/cron, api/v1alpha1/schedule_types.go.
 */
import { parseGoDuration } from './fields.ts';

const CRON_RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export type CronSchedule = { kind: 'every'; ms: number } | { kind: 'cron'; fields: Array<Set<number>> };

function parseCronField(f: string, [lo, hi]: [number, number]): Set<number> {
  const out = new Set<number>();
  for (const part of f.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad cron field '${f}'`);
    let a = lo;
    let b = hi;
    if (m[1] !== '*') {
      const [x, y] = m[1].split('-').map(Number);
      a = x;
      b = y ?? (m[2] ? hi : x);
    }
    const step = m[2] ? Number(m[2]) : 1;
    if (a < lo || b > hi || a > b || step < 1) throw new Error(`cron field '${f}' out of range ${lo}-${hi}`);
    for (let v = a; v <= b; v += step) out.add(v === 7 && hi === 6 ? 0 : v);
  }
  return out;
}

/** `@every <go duration>`, descriptors (@hourly ...) and 5-field cron (minute hour dom month dow). */
export function parseCron(expr: string): CronSchedule {
  const e = expr.trim();
  if (e.startsWith('@every ')) {
    const ms = parseGoDuration(e.slice(7).trim());
    if (ms === undefined || ms <= 0) throw new Error(`'@every' needs a positive Go duration, got '${e.slice(7).trim()}'`);
    return { kind: 'every', ms };
  }
  const spec = DESCRIPTORS[e] ?? e;
  const parts = spec.split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week) or @every <duration>, got ${parts.length}`);
  return {
    kind: 'cron',
    fields: parts
      .map((p, i) => parseCronField(p, i === 4 ? [0, 7] : CRON_RANGES[i]))
      .map((s, i) => (i === 4 ? new Set([...s].map((v) => (v === 7 ? 0 : v))) : s)),
  };
}

export function cronError(expr: string): string | undefined {
  try {
    parseCron(expr);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The next fire time strictly after `after` (ms epoch). For @every: last + interval. */
export function nextCronTime(s: CronSchedule, after: number): number {
  if (s.kind === 'every') return after + s.ms;
  const d = new Date(after);
  d.setUTCSeconds(0, 0);
  d.setUTCMinutes(d.getUTCMinutes() + 1);
  const [min, hour, dom, mon, dow] = s.fields;
  for (let i = 0; i < 366 * 24 * 60; i++) {
    if (
      mon.has(d.getUTCMonth() + 1) &&
      dom.has(d.getUTCDate()) &&
      dow.has(d.getUTCDay()) &&
      hour.has(d.getUTCHours()) &&
      min.has(d.getUTCMinutes())
    )
      return d.getTime();
    d.setUTCMinutes(d.getUTCMinutes() + 1);
  }
  throw new Error('cron expression never fires within a year');
}
