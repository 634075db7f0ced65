/**
 * Compare thresholds: a YAML file (validated with zod) that says, per measurement, which statistic to compare,
 * which direction is better and how much worse is a regression. Keys are measurement keys as compare prints them
 * (`node-reboot/failover_seconds`, `metric:egressIPs`, `score:overall`), a bare name (`failover_seconds`, any group),
 * or a glob with `*`. The most specific match wins: exact key, then bare name, then the longest glob.
 *
 *   defaults: { tolerancePct: 20, minDelta: 0.05, alpha: 0.05 }
 *   measurements:
 *     failover_seconds: { stat: p95, tolerancePct: 10 }
 *     "metric:*": { gate: false }
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.ts';

export const STATS = ['p50', 'p95', 'max', 'mean', 'min'] as const;

export const ThresholdRule = z
  .object({
    stat: z.enum(STATS).optional().describe('statistic of the samples to compare (default p50 for measurements, mean for metrics)'),
    better: z
      .enum(['lower', 'higher'])
      .optional()
      .describe("which direction is an improvement (default: 'higher' for scores, else 'lower')"),
    tolerancePct: z.number().min(0).optional().describe('a change for the worse beyond this percentage is a regression'),
    minDelta: z.number().min(0).optional().describe('changes smaller than this absolute amount are never a regression (noise floor)'),
    alpha: z.number().gt(0).lt(1).optional().describe('with >= 3 samples on each side, a regression also needs Mann-Whitney p < alpha'),
    gate: z.boolean().optional().describe('false: report the change but never fail on it'),
  })
  .strict();
export type ThresholdRule = z.infer<typeof ThresholdRule>;

export const Thresholds = z
  .object({
    defaults: ThresholdRule.optional(),
    measurements: z.record(z.string(), ThresholdRule).optional(),
  })
  .strict();
export type Thresholds = z.infer<typeof Thresholds>;

export type ResolvedRule = Required<Omit<ThresholdRule, 'stat' | 'better'>> & Pick<ThresholdRule, 'stat' | 'better'>;

export const DEFAULT_RULE: ResolvedRule = { tolerancePct: 20, minDelta: 0.05, alpha: 0.05, gate: true };

export function parseThresholds(text: string, file: string): Thresholds {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new UsageError(`--thresholds ${file}: not valid YAML: ${(err as Error).message}`);
  }
  const r = Thresholds.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UsageError(`--thresholds ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return r.data;
}

export function loadThresholds(file: string): Thresholds {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--thresholds: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseThresholds(text, file);
}

const globRe = (g: string): RegExp =>
  new RegExp(
    `^${g
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** The rule for a measurement key (`group/name`, `metric:x`, `score:y`) with bare name `name`. */
export function ruleFor(t: Thresholds, key: string, name: string): ResolvedRule & { explicit: boolean } {
  const base: ResolvedRule = { ...DEFAULT_RULE, ...(t.defaults ?? {}) };
  const m = t.measurements ?? {};
  const specific =
    m[key] ??
    m[name] ??
    Object.entries(m)
      .filter(([k]) => k.includes('*') && (globRe(k).test(key) || globRe(k).test(name)))
      .sort((a, b) => b[0].length - a[0].length)[0]?.[1];
  return { ...base, ...(specific ?? {}), explicit: specific !== undefined };
}
