/**
 * Metric profiles in kube-burner's format (kube-burner docs/observability/metrics.md, cmd/kube-burner/ocp-config/metrics*.yml):
 *
 * ```yaml
 * - query: sum(ovnkube_clustermanager_num_egress_ips)
 *   metricName: egressIPs
 * - query: histogram_quantile(0.99, sum(rate(ovnkube_controller_egress_ips_assign_latency_seconds_bucket[2m])) by (le))
 *   metricName: eipAssignLatencyP99
 *   instant: true
 * ```
 *
 * `instant: true` queries are evaluated at every step boundary of the run and at its end; the others are
 * range queries over the run's time range. As in kube-burner, `{{ .elapsed }}` in a query is replaced by the
 * run's duration (e.g. `rate(x[{{ .elapsed }}])`). Validated with zod (unknown keys are typos: rejected);
 * JSON Schema for editors: schemas/metrics-profile.schema.json.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.ts';

export const metricEntrySchema = z
  .strictObject({
    query: z.string().trim().min(1, 'a PromQL expression').describe('PromQL expression; {{ .elapsed }} is replaced by the run duration'),
    metricName: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'a name of letters, digits, _ and -, starting with a letter or _')
      .describe('name the series are stored under'),
    instant: z
      .boolean()
      .optional()
      .describe('true: evaluated at each step boundary and at the end of the run; false (default): range query over the run'),
  })
  .describe('one query of a metrics profile');

export const metricsProfileSchema = z
  .array(metricEntrySchema)
  .min(1, 'at least one query')
  .superRefine((entries, ctx) => {
    const seen = new Map<string, number>();
    entries.forEach((e, i) => {
      const j = seen.get(e.metricName);
      if (j !== undefined)
        ctx.addIssue({ code: 'custom', path: [i, 'metricName'], message: `duplicate metricName '${e.metricName}' (also entry ${j})` });
      else seen.set(e.metricName, i);
    });
  })
  .describe('netharness / kube-burner metrics profile: a list of PromQL queries');

export type MetricEntry = z.infer<typeof metricEntrySchema>;
export type MetricsProfile = MetricEntry[];

export function metricsProfileJsonSchema(): Record<string, unknown> {
  const js = z.toJSONSchema(metricsProfileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...js, title: 'netharness metrics profile (kube-burner format)' };
}

function issuePath(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

/** Parses and validates profile text; `source` names it in errors. Throws UsageError naming the entry and field. */
export function parseMetricsProfile(text: string, source: string): MetricsProfile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new UsageError(`${source}: not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const data: unknown = doc.toJS();
  const r = metricsProfileSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    const where = issuePath(i.path);
    throw new UsageError(
      `${source}${where ? ` ${where}` : ''}: ${i.message}`,
      'a metrics profile is a YAML list of {query, metricName, instant?} (kube-burner format); see metrics/profiles/*.yaml',
    );
  }
  return r.data;
}

export function loadMetricsProfile(file: string): MetricsProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--metrics-profile: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseMetricsProfile(text, file);
}

/** kube-burner's `{{ .elapsed }}` (also `{{.elapsed}}`): the run's duration as a PromQL duration, at least 1m. */
export function renderQuery(q: string, elapsedSeconds: number): string {
  const s = `${Math.max(60, Math.ceil(elapsedSeconds))}s`;
  return q.replace(/\{\{\s*\.elapsed\s*\}\}/g, s);
}

/** `30s`, `2m`, `1h`, or plain seconds -> seconds. Throws UsageError naming the flag. */
export function parseStep(v: string, flag = '--metrics-step'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration like 5s, 30s, 1m (got '${v}')`);
  const n = Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  if (!(n >= 1) || n > 86_400) throw new UsageError(`${flag}: between 1s and 24h (got '${v}')`);
  return n;
}
