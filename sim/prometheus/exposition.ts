/**
 * Prometheus text exposition format 0.0.4 (prometheus/docs content/docs/instrumenting/exposition_formats.md),
 * written from metric families. Pure.
 */
export type MetricType = 'gauge' | 'counter' | 'histogram';

export interface Sample {
  /** '_bucket' | '_sum' | '_count' for histogram series */
  suffix?: string;
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function labelString(labels: Record<string, string> | undefined): string {
  const ks = labels ? Object.keys(labels) : [];
  if (ks.length === 0) return '';
  return `{${ks.map((k) => `${k}="${escapeLabel((labels as Record<string, string>)[k])}"`).join(',')}}`;
}

export function expose(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${s.suffix ?? ''}${labelString(s.labels)} ${fmt(s.value)}`);
  }
  return `${out.join('\n')}\n`;
}

/** A histogram family (_bucket/_sum/_count as client_golang writes them) from raw observations. */
export function histogram(name: string, help: string, buckets: number[], observations: number[]): MetricFamily {
  const samples: Sample[] = [];
  for (const le of buckets)
    samples.push({ suffix: '_bucket', labels: { le: String(le) }, value: observations.filter((o) => o <= le).length });
  samples.push({ suffix: '_bucket', labels: { le: '+Inf' }, value: observations.length });
  samples.push({ suffix: '_sum', value: observations.reduce((a, b) => a + b, 0) });
  samples.push({ suffix: '_count', value: observations.length });
  return { name, help, type: 'histogram', samples };
}

/** prometheus.ExponentialBuckets(start, factor, count) */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}
