/**
 * Chaos Mesh manifest templates (chaos/*.yaml) and a tiny typed renderer.
 *
 * A template is plain YAML with `{{ param }}` placeholders. Every param is declared here with a zod
 * type and a default; `renderTemplate(id, params)` validates the params (a bad or unknown param is a
 * UsageError that names it), substitutes each placeholder with the JSON form of its value (JSON is
 * YAML, so strings, numbers, lists and objects all land as valid scalars / flow collections), parses
 * the result and validates it as the Chaos Mesh webhook would. `parseManifest` does the last part
 * for manifests a user wrote.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseAllDocuments, stringify } from 'yaml';
import { UsageError } from '../errors.ts';
import {
  CHAOS_API_VERSION,
  CHAOS_KINDS,
  type ChaosKind,
  type FieldError,
  MODES,
  cronError,
  formatFieldErrors,
  parseGoDuration,
  validateChaos,
  validateMode,
} from '../../chaos/model.ts';

export const CHAOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'chaos');

/** A chaos-mesh.org/v1alpha1 object as rendered or read from a manifest. */
export interface ChaosObject {
  apiVersion: string;
  kind: ChaosKind | 'Schedule';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Rendered {
  template: string;
  kind: ChaosKind | 'Schedule';
  object: ChaosObject;
  /** the rendered YAML, ready for `kubectl apply -f -` */
  yaml: string;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const k8sName = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(63, `${what} must be at most 63 characters`)
    .regex(NAME_RE, `${what} must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.')`);
const goDuration = z.string().refine((s) => parseGoDuration(s) !== undefined && (parseGoDuration(s) ?? -1) > 0, {
  message: 'must be a positive Go duration like "30s", "5m" or "1m30s"',
});
const signedGoDuration = z
  .string()
  .refine((s) => parseGoDuration(s) !== undefined, { message: 'must be a Go duration like "-10m" or "1h"' });
const numericString = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((s) => /^\d+(\.\d+)?$/.test(s), { message: 'must be a number like "25"' });
const modeParam = z.enum(MODES);
const valueParam = z.union([z.string(), z.number().int()]).transform((v) => String(v));
const stringList = z.array(z.string().min(1));

const common = {
  name: k8sName('name').optional(),
  namespace: k8sName('namespace').default('chaos-mesh'),
  targetNamespace: k8sName('targetNamespace').default('openshift-ovn-kubernetes'),
  app: z.string().min(1).default('ovnkube-node'),
};
const modeValue = { mode: modeParam.default('one'), value: valueParam.default('1') };

const TEMPLATE_PARAMS = {
  'pod-kill': z.object({ ...common, ...modeValue, node: k8sName('node'), gracePeriod: z.number().int().min(0).default(0) }),
  'container-kill': z.object({
    ...common,
    ...modeValue,
    node: k8sName('node'),
    container: z.string().min(1).default('ovnkube-controller'),
  }),
  'pod-failure': z.object({ ...common, ...modeValue, node: k8sName('node'), duration: goDuration.default('30s') }),
  'network-partition': z.object({
    ...common,
    node: k8sName('node'),
    duration: goDuration.default('60s'),
    externalTargets: stringList.min(1, 'externalTargets needs at least one IP or host (the other nodes and the API endpoint)'),
  }),
  'network-delay': z.object({
    ...common,
    ...modeValue,
    nodes: stringList.default([]),
    duration: goDuration.default('60s'),
    latency: goDuration.default('100ms'),
    jitter: signedGoDuration.default('0ms'),
    correlation: numericString.default('0'),
  }),
  'network-loss': z.object({
    ...common,
    ...modeValue,
    nodes: stringList.default([]),
    duration: goDuration.default('60s'),
    loss: numericString.default('25'),
    correlation: numericString.default('0'),
  }),
  'stress-cpu': z.object({
    ...common,
    ...modeValue,
    nodes: stringList.default([]),
    containerNames: stringList.default([]),
    duration: goDuration.default('60s'),
    workers: z.number().int().min(1).default(1),
    load: z.number().int().min(0).max(100).default(100),
  }),
  'time-offset': z.object({
    ...common,
    ...modeValue,
    nodes: stringList.default([]),
    containerNames: stringList.default([]),
    duration: goDuration.default('60s'),
    timeOffset: signedGoDuration.default('-10m'),
    clockIds: z.array(z.string().regex(/^CLOCK_[A-Z_]+$/, 'clock ids look like CLOCK_REALTIME')).default(['CLOCK_REALTIME']),
  }),
} as const;

export type TemplateId = keyof typeof TEMPLATE_PARAMS;
export type TemplateParams<T extends TemplateId> = z.input<(typeof TEMPLATE_PARAMS)[T]>;

const TEMPLATE_KIND: Record<TemplateId, ChaosKind> = {
  'pod-kill': 'PodChaos',
  'container-kill': 'PodChaos',
  'pod-failure': 'PodChaos',
  'network-partition': 'NetworkChaos',
  'network-delay': 'NetworkChaos',
  'network-loss': 'NetworkChaos',
  'stress-cpu': 'StressChaos',
  'time-offset': 'TimeChaos',
};

export const TEMPLATE_IDS = Object.keys(TEMPLATE_PARAMS) as TemplateId[];

export function isTemplateId(id: string): id is TemplateId {
  return id in TEMPLATE_PARAMS;
}

/** The param names a template takes (for help and MCP/tool schemas). */
export function templateParamNames(id: TemplateId): string[] {
  return Object.keys(TEMPLATE_PARAMS[id].shape);
}

function usageFromZod(where: string, err: z.ZodError): UsageError {
  const parts = err.issues.map((i) => {
    const param = i.path.length ? i.path.join('.') : '';
    if (i.code === 'unrecognized_keys') return `unknown param ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    const msg = i.code === 'invalid_type' && /received undefined/.test(i.message) ? 'required' : i.message;
    return `param '${param}': ${msg}`;
  });
  return new UsageError(`${where}: ${parts.join('; ')}`, 'run with valid params; see chaos/README.md for each template and its params');
}

function substitute(text: string, values: Record<string, unknown>, where: string): string {
  return text.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_m, key: string) => {
    if (!(key in values) || values[key] === undefined) throw new UsageError(`${where}: param '${key}': required (the template uses it)`);
    return JSON.stringify(values[key]);
  });
}

function randomSuffix(): string {
  return randomBytes(3).toString('hex');
}

function readTemplate(file: string): string {
  return readFileSync(join(CHAOS_DIR, file), 'utf8');
}

/** Parse + webhook-validate one rendered or user-written document; UsageError with every field error. */
function toChaosObject(doc: unknown, where: string): ChaosObject {
  const errs = validateChaos(doc);
  if (errs.length > 0) {
    const o = (doc ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
    throw new UsageError(
      `${where}: ${formatFieldErrors(String(o.kind ?? 'object'), String(o.metadata?.name ?? ''), errs)}`,
      'fix the manifest; fields follow chaos-mesh.org/v1alpha1 (see chaos/*.yaml for working examples)',
    );
  }
  return doc as ChaosObject;
}

/**
 * Render a template: validate params, substitute, parse, validate as Chaos Mesh would.
 * Bad or unknown params throw UsageError naming the param.
 */
export function renderTemplate<T extends TemplateId>(id: T, params: TemplateParams<T>): Rendered;
export function renderTemplate(id: string, params: Record<string, unknown>): Rendered;
export function renderTemplate(id: string, params: Record<string, unknown>): Rendered {
  if (!isTemplateId(id)) throw new UsageError(`unknown chaos template '${id}'`, `templates: ${TEMPLATE_IDS.join(', ')}`);
  const where = `chaos template ${id}`;
  const parsed = TEMPLATE_PARAMS[id].strict().safeParse(params);
  if (!parsed.success) throw usageFromZod(where, parsed.error);
  const values: Record<string, unknown> = { ...parsed.data };
  if (!values.name) values.name = `nh-${id}-${randomSuffix()}`;
  if ('mode' in values) {
    const errs: FieldError[] = [];
    validateMode(values.mode, values.value, 'params', errs);
    if (errs.length)
      throw new UsageError(
        `${where}: param 'value': ${errs[0].message}`,
        'fixed needs a count > 0; fixed-percent and random-max-percent need a percentage in (0, 100]',
      );
  }
  const text = substitute(readTemplate(`${id}.yaml`), values, where);
  const docs = parseAllDocuments(text);
  if (docs.length !== 1 || docs[0].errors.length)
    throw new Error(`${where}: the template did not render to one YAML document: ${docs[0]?.errors.map((e) => e.message).join('; ')}`);
  const obj = toChaosObject(docs[0].toJS(), where);
  if (obj.kind !== TEMPLATE_KIND[id]) throw new Error(`${where}: rendered kind ${obj.kind}, expected ${TEMPLATE_KIND[id]}`);
  return { template: id, kind: obj.kind, object: obj, yaml: stringify(obj) };
}

const scheduleParams = z.object({
  name: k8sName('name').optional(),
  namespace: k8sName('namespace').optional(),
  schedule: z
    .string()
    .refine((s) => !cronError(s), { message: 'must be 5-field cron (m h dom mon dow), a descriptor (@hourly) or "@every 30s"' }),
  historyLimit: z.number().int().min(1).default(1),
  concurrencyPolicy: z.enum(['Forbid', 'Allow']).default('Forbid'),
});
export type ScheduleParams = z.input<typeof scheduleParams>;

/** Wrap a rendered chaos object in a Schedule (chaos/schedule.yaml). */
export function renderSchedule(inner: Rendered, params: ScheduleParams): Rendered {
  const where = `chaos template schedule`;
  const parsed = scheduleParams.strict().safeParse(params);
  if (!parsed.success) throw usageFromZod(where, parsed.error);
  if (inner.kind === 'Schedule') throw new UsageError(`${where}: a Schedule cannot embed another Schedule`);
  const p = parsed.data;
  const values = {
    name: p.name ?? `${inner.object.metadata.name}-schedule`.slice(0, 63).replace(/-+$/, ''),
    namespace: p.namespace ?? inner.object.metadata.namespace ?? 'chaos-mesh',
    schedule: p.schedule,
    type: inner.kind,
    historyLimit: p.historyLimit,
    concurrencyPolicy: p.concurrencyPolicy,
    specKey: CHAOS_KINDS[inner.kind].scheduleKey,
    spec: inner.object.spec,
  };
  const text = substitute(readTemplate('schedule.yaml'), values, where);
  const docs = parseAllDocuments(text);
  if (docs.length !== 1 || docs[0].errors.length)
    throw new Error(`${where}: did not render to one YAML document: ${docs[0]?.errors.map((e) => e.message).join('; ')}`);
  const obj = toChaosObject(docs[0].toJS(), where);
  return { template: `schedule(${inner.template})`, kind: 'Schedule', object: obj, yaml: stringify(obj) };
}

/**
 * Read chaos manifests a user wrote (one or more YAML documents) and validate each as the Chaos Mesh
 * webhook would. Throws UsageError with the document index and every field error.
 */
export function parseManifest(text: string, source = 'manifest'): ChaosObject[] {
  const docs = parseAllDocuments(text);
  const out: ChaosObject[] = [];
  docs.forEach((d, i) => {
    const where = docs.length > 1 ? `${source} (document ${i + 1})` : source;
    if (d.errors.length) throw new UsageError(`${where}: not valid YAML: ${d.errors[0].message}`);
    const js: unknown = d.toJS();
    if (js === null || js === undefined) return;
    const o = js as { apiVersion?: unknown };
    if (o.apiVersion !== CHAOS_API_VERSION)
      throw new UsageError(`${where}: apiVersion must be ${CHAOS_API_VERSION} (got ${JSON.stringify(o.apiVersion)})`);
    out.push(toChaosObject(js, where));
  });
  if (out.length === 0) throw new UsageError(`${source}: no chaos object in it`);
  return out;
}
