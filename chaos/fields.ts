/**
 * Field checks shared by the chaos kinds' webhook-style validation (chaos/kinds/*.ts) and the common
 * spec parts (chaos/model.ts): the error shape the Chaos Mesh webhook reports
 * (`spec.value: Invalid value: "x": ...`), Go durations, and the small type guards over unknown YAML.
 *
 * Sources: chaos-mesh api/v1alpha1 (common_webhook.go, *_webhook.go), Go time.ParseDuration.
 */

/** One field error, as the webhook reports them: `spec.value: Invalid value: "x": ...`. */
export interface FieldError {
  field: string;
  message: string;
}

/** A chaos object's spec (or an embedded part of it) as read from YAML. */
export type Spec = Record<string, unknown>;

export function isRecord(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

export function isStringMap(x: unknown): x is Record<string, string> {
  return isRecord(x) && Object.values(x).every((v) => typeof v === 'string');
}

export function isStringList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}

/** `Unsupported value: "x": supported values: "a", "b"` (the apimachinery field.NotSupported text). */
export function unsupported(value: unknown, supported: readonly string[]): string {
  return `Unsupported value: ${JSON.stringify(value ?? '')}: supported values: ${supported.map((a) => `"${a}"`).join(', ')}`;
}

const GO_DURATION = /^([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go time.ParseDuration, in milliseconds; undefined when not a Go duration. '0' is 0. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  let rest = s.trim();
  let sign = 1;
  if (rest.startsWith('-')) {
    sign = -1;
    rest = rest.slice(1);
  } else if (rest.startsWith('+')) rest = rest.slice(1);
  if (!rest || !GO_DURATION.test(rest)) return undefined;
  let total = 0;
  for (const m of rest.matchAll(/([0-9]*(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h)/g)) {
    if (m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return sign * total;
}

export function validateDurationField(v: unknown, path: string, errs: FieldError[], required: boolean): void {
  if (v === undefined || v === null || v === '') {
    if (required) errs.push({ field: path, message: 'Required value: a Go duration like "30s" or "5m"' });
    return;
  }
  if (typeof v !== 'string' || parseGoDuration(v) === undefined || (parseGoDuration(v) ?? 0) < 0)
    errs.push({ field: path, message: `Invalid value: ${JSON.stringify(v)}: not a Go duration (e.g. "30s", "1m30s")` });
}

export function validateFloatString(v: unknown, path: string, errs: FieldError[], required = true): void {
  if (v === undefined) {
    if (required) errs.push({ field: path, message: 'Required value' });
    return;
  }
  if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v))
    errs.push({ field: path, message: `Invalid value: ${JSON.stringify(v)}: must be a number as a string (e.g. "25")` });
}
