/**
 * The chaos kinds' manifest templates (declared in chaos/kinds/<kind>.ts) and a tiny typed renderer.
 *
 * A template is plain YAML with `{{ param }}` placeholders. Every param is declared by its kind with a
 * zod type and a default; `renderTemplate(id, params)` validates the params (a bad or unknown param is a
 * UsageError that names it), substitutes each placeholder with the JSON form of its value (JSON is
 * YAML, so strings, numbers, lists and objects all land as valid scalars / flow collections), parses
 * the result and validates it as the Chaos Mesh webhook would. `parseManifest` does the last part
 * for manifests a user wrote.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { parseAllDocuments, stringify } from 'yaml';
import { UsageError } from '../errors.ts';
import {
  CHAOS_API_VERSION,
  CHAOS_KINDS,
  CHAOS_TEMPLATES,
  type ChaosKind,
  type FieldError,
  type TemplateId,
  type TemplateOf,
  formatFieldErrors,
  validateChaos,
  validateMode,
} from '../../chaos/model.ts';
import type { ChaosTemplateDef } from '../../chaos/kind.ts';
import { SCHEDULE_MANIFEST, scheduleParams } from '../../chaos/schedule.ts';

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

export type { TemplateId } from '../../chaos/model.ts';
export type TemplateParams<T extends TemplateId> = TemplateOf<T> extends { params: infer P extends z.ZodType } ? z.input<P> : never;

/** Every template of every chaos kind, in registry order (chaos/kinds/index.ts). */
export const TEMPLATE_IDS: TemplateId[] = [...CHAOS_TEMPLATES.keys()];

export function isTemplateId(id: string): id is TemplateId {
  return CHAOS_TEMPLATES.has(id as TemplateId);
}

function templateDef(id: TemplateId): { kind: ChaosKind; def: ChaosTemplateDef } {
  const t = CHAOS_TEMPLATES.get(id);
  if (!t) throw new UsageError(`unknown chaos template '${id}'`, `templates: ${TEMPLATE_IDS.join(', ')}`);
  return t;
}

/** The param names a template takes (for help and MCP/tool schemas). */
export function templateParamNames(id: TemplateId): string[] {
  return Object.keys(templateDef(id).def.params.shape);
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

/** Parse + webhook-validate one rendered or user-written document; UsageError with every field error. */
function toChaosObject(doc: unknown, where: string): ChaosObject {
  const errs = validateChaos(doc);
  if (errs.length > 0) {
    const o = (doc ?? {}) as { kind?: unknown; metadata?: { name?: unknown } };
    throw new UsageError(
      `${where}: ${formatFieldErrors(String(o.kind ?? 'object'), String(o.metadata?.name ?? ''), errs)}`,
      'fix the manifest; fields follow chaos-mesh.org/v1alpha1 (`netharness chaos render <template>` prints working examples)',
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
export function renderTemplate(id: string, params: unknown): Rendered {
  if (!isTemplateId(id)) throw new UsageError(`unknown chaos template '${id}'`, `templates: ${TEMPLATE_IDS.join(', ')}`);
  const where = `chaos template ${id}`;
  const { kind, def } = templateDef(id);
  const parsed = def.params.strict().safeParse(params);
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
  const text = substitute(def.manifest, values, where);
  const docs = parseAllDocuments(text);
  if (docs.length !== 1 || docs[0].errors.length)
    throw new Error(`${where}: the template did not render to one YAML document: ${docs[0]?.errors.map((e) => e.message).join('; ')}`);
  const obj = toChaosObject(docs[0].toJS(), where);
  if (obj.kind !== kind) throw new Error(`${where}: rendered kind ${obj.kind}, expected ${kind}`);
  return { template: id, kind: obj.kind, object: obj, yaml: stringify(obj) };
}

export type ScheduleParams = z.input<typeof scheduleParams>;

/** Wrap a rendered chaos object in a Schedule (chaos/schedule.ts). */
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
  const text = substitute(SCHEDULE_MANIFEST, values, where);
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
