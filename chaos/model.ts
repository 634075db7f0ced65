/**
 * Chaos Mesh (chaos-mesh.org/v1alpha1) as data: the kinds (from the registry, chaos/kinds/), spec
 * validation as the Chaos Mesh webhook does it, the status it writes (conditions from records), and the
 * Schedule. Pure: imported by the harness (render, validate, wait) and by the embedded cluster's Chaos
 * Mesh controller (sim/chaos), so both agree on one reading of the API. What differs by kind lives in the
 * kind's file; this module only dispatches.
 *
 * Sources: chaos-mesh api/v1alpha1 (common_types.go, selector.go, schedule_types.go, *_webhook.go),
 * controllers/common/{condition,desiredphase,records,finalizers}.
 */
import { cronError } from './cron.ts';
import { isRecord, isStringList, type FieldError, type Spec } from './fields.ts';
import type { ChaosKindDef, ChaosTemplateDef } from './kind.ts';
import { CHAOS_KIND_LIST } from './kinds/index.ts';
import { validateMode, validateSelector, type Mode, type PodSelectorSpec, type SelectorTarget } from './selector.ts';

export { cronError, nextCronTime, parseCron, type CronSchedule } from './cron.ts';
export { parseGoDuration, type FieldError } from './fields.ts';
export {
  MODES,
  matchExpressions,
  matchLabelMap,
  selectByMode,
  validateMode,
  type ExpressionSelector,
  type Mode,
  type PodSelectorSpec,
} from './selector.ts';

export const CHAOS_GROUP = 'chaos-mesh.org';
export const CHAOS_VERSION = 'v1alpha1';
export const CHAOS_API_VERSION = `${CHAOS_GROUP}/${CHAOS_VERSION}`;

export const PAUSE_ANNOTATION = 'experiment.chaos-mesh.org/pause';
export const RECORDS_FINALIZER = 'chaos-mesh/records';
/** Label the Schedule controller puts on the objects it spawns. */
export const MANAGED_BY_LABEL = 'managed-by';

type KindList = typeof CHAOS_KIND_LIST;
/** Every chaos kind of the registry (PodChaos, NetworkChaos, ...). */
export type ChaosKind = KindList[number]['kind'];
export type AnyChaosKind = ChaosKind | 'Schedule';

/** kind -> its declaration (chaos/kinds/<kind>.ts). */
export const CHAOS_KIND_DEFS = Object.fromEntries(CHAOS_KIND_LIST.map((d) => [d.kind, d])) as unknown as Record<ChaosKind, ChaosKindDef>;

/** kind -> resource (lowercase plural as the CRDs name them) and the Schedule's embedded key. */
export const CHAOS_KINDS = Object.fromEntries(
  CHAOS_KIND_LIST.map((d) => [d.kind, { resource: d.resource, scheduleKey: d.scheduleKey }]),
) as Record<ChaosKind, { resource: string; scheduleKey: string }>;
export const SCHEDULE_RESOURCE = 'schedules';

export function isChaosKind(k: unknown): k is ChaosKind {
  return typeof k === 'string' && Object.hasOwn(CHAOS_KINDS, k);
}

// ---------------------------------------------------------------- templates (declared by the kinds)

type TemplatesUnion = KindList[number]['templates'];
/** Every template id of every kind (pod-kill, network-delay, ...). */
export type TemplateId = TemplatesUnion extends infer U ? (U extends unknown ? keyof U & string : never) : never;
/** The declaration of template T. */
export type TemplateOf<T extends TemplateId> = Extract<TemplatesUnion, Record<T, unknown>>[T];

/** template id -> its kind and declaration, in registry order. */
export const CHAOS_TEMPLATES: ReadonlyMap<TemplateId, { kind: ChaosKind; def: ChaosTemplateDef }> = (() => {
  const m = new Map<TemplateId, { kind: ChaosKind; def: ChaosTemplateDef }>();
  for (const k of CHAOS_KIND_LIST)
    for (const [id, def] of Object.entries(k.templates as Record<string, ChaosTemplateDef>)) {
      if (m.has(id as TemplateId)) throw new Error(`chaos template '${id}' is declared by ${m.get(id as TemplateId)?.kind} and ${k.kind}`);
      m.set(id as TemplateId, { kind: k.kind, def });
    }
  return m;
})();

export type ConditionType = 'Selected' | 'AllInjected' | 'AllRecovered' | 'Paused';
export type ConditionStatus = 'True' | 'False';
export interface ChaosCondition {
  type: ConditionType;
  status: ConditionStatus;
  reason?: string;
}

export type RecordPhase = 'Not Injected' | 'Injected';
export interface RecordEvent {
  type: 'Succeeded' | 'Failed';
  operation: 'Apply' | 'Recover';
  message?: string;
  timestamp: string;
}
export interface ChaosRecord {
  id: string;
  selectorKey: string;
  phase: RecordPhase;
  injectedCount: number;
  recoveredCount: number;
  events?: RecordEvent[];
}
export type DesiredPhase = 'Run' | 'Stop';
export interface ChaosStatus {
  conditions?: ChaosCondition[];
  experiment?: { desiredPhase?: DesiredPhase; containerRecords?: ChaosRecord[] };
  [k: string]: unknown;
}

// ---------------------------------------------------------------- validation (webhook)

/**
 * Validate a chaos object of one of our kinds (or a Schedule) the way the Chaos Mesh webhook and the
 * CRD schema would. Returns all field errors (empty = valid).
 */
export function validateChaos(obj: unknown): FieldError[] {
  const errs: FieldError[] = [];
  if (!isRecord(obj)) return [{ field: '', message: 'must be an object' }];
  if (obj.apiVersion !== CHAOS_API_VERSION)
    errs.push({ field: 'apiVersion', message: `must be ${CHAOS_API_VERSION} (got ${JSON.stringify(obj.apiVersion)})` });
  const meta = obj.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string' || !meta.name) errs.push({ field: 'metadata.name', message: 'Required value' });
  if (obj.kind === 'Schedule') {
    validateScheduleSpec(obj.spec, errs);
    return errs;
  }
  if (!isChaosKind(obj.kind)) {
    errs.push({
      field: 'kind',
      message: `unsupported kind ${JSON.stringify(obj.kind)} (supported: ${Object.keys(CHAOS_KINDS).join(', ')}, Schedule)`,
    });
    return errs;
  }
  validateChaosSpec(obj.kind, obj.spec, 'spec', errs);
  return errs;
}

/** The common part (selector, mode + value, containerNames), then the kind's own webhook rules. */
export function validateChaosSpec(kind: ChaosKind, spec: unknown, path: string, errs: FieldError[]): void {
  if (!isRecord(spec)) {
    errs.push({ field: path, message: 'Required value' });
    return;
  }
  validateSelector(spec.selector, `${path}.selector`, errs);
  validateMode(spec.mode, spec.value, path, errs);
  if (spec.containerNames !== undefined && !isStringList(spec.containerNames))
    errs.push({ field: `${path}.containerNames`, message: 'must be a list of strings' });
  CHAOS_KIND_DEFS[kind].validate(spec, path, errs);
}

function validateScheduleSpec(spec: unknown, errs: FieldError[]): void {
  if (!isRecord(spec)) {
    errs.push({ field: 'spec', message: 'Required value' });
    return;
  }
  if (typeof spec.schedule !== 'string')
    errs.push({ field: 'spec.schedule', message: 'Required value: a cron expression or "@every 30s"' });
  else {
    const err = cronError(spec.schedule);
    if (err) errs.push({ field: 'spec.schedule', message: `Invalid value: ${JSON.stringify(spec.schedule)}: ${err}` });
  }
  if (
    spec.concurrencyPolicy !== undefined &&
    spec.concurrencyPolicy !== '' &&
    !['Forbid', 'Allow'].includes(String(spec.concurrencyPolicy))
  )
    errs.push({
      field: 'spec.concurrencyPolicy',
      message: `Unsupported value: ${JSON.stringify(spec.concurrencyPolicy)}: supported values: "Forbid", "Allow"`,
    });
  if (spec.historyLimit !== undefined && !(Number.isInteger(spec.historyLimit) && (spec.historyLimit as number) >= 1))
    errs.push({ field: 'spec.historyLimit', message: `Invalid value: ${JSON.stringify(spec.historyLimit)}: must be an integer >= 1` });
  if (
    spec.startingDeadlineSeconds !== undefined &&
    spec.startingDeadlineSeconds !== null &&
    !(Number.isInteger(spec.startingDeadlineSeconds) && (spec.startingDeadlineSeconds as number) >= 0)
  )
    errs.push({ field: 'spec.startingDeadlineSeconds', message: 'must be an integer >= 0' });
  if (!isChaosKind(spec.type)) {
    errs.push({
      field: 'spec.type',
      message: `Unsupported value: ${JSON.stringify(spec.type ?? '')}: supported here: ${Object.keys(CHAOS_KINDS)
        .map((k) => `"${k}"`)
        .join(', ')}`,
    });
    return;
  }
  const key = CHAOS_KINDS[spec.type].scheduleKey;
  if (!isRecord(spec[key]))
    errs.push({ field: `spec.${key}`, message: `Required value: the embedded ${spec.type} spec for type ${spec.type}` });
  else validateChaosSpec(spec.type, spec[key], `spec.${key}`, errs);
}

export function formatFieldErrors(kind: string, name: string, errs: FieldError[]): string {
  return `${kind}.${CHAOS_GROUP} "${name}" is invalid: ${errs.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join(', ')}`;
}

// ---------------------------------------------------------------- status

/** Conditions from records and the pause flag, as controllers/common/condition does. */
export function deriveConditions(records: ChaosRecord[] | undefined, paused: boolean): ChaosCondition[] {
  const has = records !== undefined && records !== null;
  const every = (p: RecordPhase) => has && records.every((r) => r.phase === p);
  return [
    { type: 'Selected', status: has ? 'True' : 'False' },
    { type: 'AllInjected', status: every('Injected') ? 'True' : 'False' },
    { type: 'AllRecovered', status: every('Not Injected') ? 'True' : 'False' },
    { type: 'Paused', status: paused ? 'True' : 'False' },
  ];
}

export function conditionStatus(status: unknown, type: ConditionType): ConditionStatus | undefined {
  if (!isRecord(status) || !Array.isArray(status.conditions)) return undefined;
  const c = (status.conditions as unknown[]).find((x) => isRecord(x) && x.type === type) as ChaosCondition | undefined;
  return c?.status;
}

/** One-shot kinds stay desiredPhase Run until deleted (pod-kill, container-kill). */
export function isOneShot(kind: string, spec: Spec | undefined): boolean {
  return isChaosKind(kind) && CHAOS_KIND_DEFS[kind].oneShot(spec ?? {});
}

/** The selector specs of a chaos object by selector key ('.' and the kind's own, e.g. NetworkChaos '.Target'). */
export function selectorSpecs(kind: ChaosKind, spec: Spec): SelectorTarget[] {
  return [
    { key: '.', selector: (spec.selector ?? {}) as PodSelectorSpec, mode: spec.mode as Mode, value: spec.value as string | undefined },
    ...(CHAOS_KIND_DEFS[kind].extraSelectors?.(spec) ?? []),
  ];
}

/** Whether records are per container (ns/pod/container) rather than per pod (ns/pod). */
export function recordsPerContainer(kind: ChaosKind, spec: Spec): boolean {
  return CHAOS_KIND_DEFS[kind].recordsPerContainer(spec);
}
