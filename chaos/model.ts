/**
 * Chaos Mesh (chaos-mesh.org/v1alpha1) as data: kinds, selector and mode, spec validation as the
 * Chaos Mesh webhook does it, target selection by mode, and the status it writes (conditions from
 * records). Pure: imported by the harness (render, validate, wait) and by the embedded cluster's
 * Chaos Mesh controller (sim/chaos), so both agree on one reading of the API.
 *
 * Sources: chaos-mesh api/v1alpha1 (common_types.go, selector.go, podchaos_types.go,
 * networkchaos_types.go, stresschaos_types.go, timechaos_types.go, schedule_types.go),
 * controllers/common/{condition,desiredphase,records,finalizers}.
 */

export const CHAOS_GROUP = 'chaos-mesh.org';
export const CHAOS_VERSION = 'v1alpha1';
export const CHAOS_API_VERSION = `${CHAOS_GROUP}/${CHAOS_VERSION}`;

export const PAUSE_ANNOTATION = 'experiment.chaos-mesh.org/pause';
export const RECORDS_FINALIZER = 'chaos-mesh/records';
/** Label the Schedule controller puts on the objects it spawns. */
export const MANAGED_BY_LABEL = 'managed-by';

export type ChaosKind = 'PodChaos' | 'NetworkChaos' | 'StressChaos' | 'TimeChaos';
export type AnyChaosKind = ChaosKind | 'Schedule';

/** kind -> resource (lowercase plural as the CRDs name them) and the Schedule's embedded key. */
export const CHAOS_KINDS: Record<ChaosKind, { resource: string; scheduleKey: string }> = {
  PodChaos: { resource: 'podchaos', scheduleKey: 'podChaos' },
  NetworkChaos: { resource: 'networkchaos', scheduleKey: 'networkChaos' },
  StressChaos: { resource: 'stresschaos', scheduleKey: 'stressChaos' },
  TimeChaos: { resource: 'timechaos', scheduleKey: 'timeChaos' },
};
export const SCHEDULE_RESOURCE = 'schedules';

export function isChaosKind(k: unknown): k is ChaosKind {
  return typeof k === 'string' && k in CHAOS_KINDS;
}

export const MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] as const;
export type Mode = (typeof MODES)[number];

export interface ExpressionSelector {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** PodSelectorSpec (selector.go). */
export interface PodSelectorSpec {
  namespaces?: string[];
  nodes?: string[];
  pods?: Record<string, string[]>;
  nodeSelectors?: Record<string, string>;
  fieldSelectors?: Record<string, string>;
  labelSelectors?: Record<string, string>;
  annotationSelectors?: Record<string, string>;
  expressionSelectors?: ExpressionSelector[];
  podPhaseSelectors?: string[];
}

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

/** One field error, as the webhook reports them: `spec.value: Invalid value: "x": ...`. */
export interface FieldError {
  field: string;
  message: string;
}

// ---------------------------------------------------------------- durations

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

// ---------------------------------------------------------------- validation (webhook)

function isRecord(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

function isStringMap(x: unknown): x is Record<string, string> {
  return isRecord(x) && Object.values(x).every((v) => typeof v === 'string');
}

function isStringList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'string');
}

function validateSelector(sel: unknown, path: string, errs: FieldError[]): void {
  if (sel === undefined) return;
  if (!isRecord(sel)) {
    errs.push({ field: path, message: 'must be an object (PodSelectorSpec)' });
    return;
  }
  const known = new Set([
    'namespaces',
    'nodes',
    'pods',
    'nodeSelectors',
    'fieldSelectors',
    'labelSelectors',
    'annotationSelectors',
    'expressionSelectors',
    'podPhaseSelectors',
  ]);
  for (const k of Object.keys(sel))
    if (!known.has(k)) errs.push({ field: `${path}.${k}`, message: `unknown field (selector fields: ${[...known].join(', ')})` });
  for (const k of ['namespaces', 'nodes', 'podPhaseSelectors'])
    if (sel[k] !== undefined && !isStringList(sel[k])) errs.push({ field: `${path}.${k}`, message: 'must be a list of strings' });
  for (const k of ['nodeSelectors', 'fieldSelectors', 'labelSelectors', 'annotationSelectors'])
    if (sel[k] !== undefined && !isStringMap(sel[k])) errs.push({ field: `${path}.${k}`, message: 'must be a map of string to string' });
  if (sel.pods !== undefined && !(isRecord(sel.pods) && Object.values(sel.pods).every(isStringList)))
    errs.push({ field: `${path}.pods`, message: 'must be a map of namespace to a list of pod names' });
  if (sel.expressionSelectors !== undefined) {
    if (!Array.isArray(sel.expressionSelectors))
      errs.push({ field: `${path}.expressionSelectors`, message: 'must be a list of {key, operator, values}' });
    else
      sel.expressionSelectors.forEach((e: unknown, i) => {
        const p = `${path}.expressionSelectors[${i}]`;
        if (!isRecord(e) || typeof e.key !== 'string') errs.push({ field: p, message: 'needs a string key' });
        else if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(String(e.operator)))
          errs.push({
            field: `${p}.operator`,
            message: `Unsupported value: "${String(e.operator)}": supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
          });
        else if ((e.operator === 'In' || e.operator === 'NotIn') && !(isStringList(e.values) && e.values.length > 0))
          errs.push({ field: `${p}.values`, message: 'must be a non-empty list for In and NotIn' });
      });
  }
}

/** ValidatePodMode: value required and in range for fixed / fixed-percent / random-max-percent. */
export function validateMode(mode: unknown, value: unknown, path: string, errs: FieldError[]): void {
  if (!MODES.includes(mode as Mode)) {
    errs.push({
      field: `${path}.mode`,
      message: `Unsupported value: ${JSON.stringify(mode ?? '')}: supported values: ${MODES.map((m) => `"${m}"`).join(', ')}`,
    });
    return;
  }
  if (mode === 'one' || mode === 'all') return;
  const v = typeof value === 'string' ? value : value === undefined ? '' : String(value);
  if (typeof value !== 'string' && value !== undefined)
    errs.push({ field: `${path}.value`, message: `must be a string (got ${typeof value}); quote it: value: "${v}"` });
  if (!/^-?\d+$/.test(v)) {
    errs.push({ field: `${path}.value`, message: `Invalid value: "${v}": ${mode} mode needs an integer value` });
    return;
  }
  const n = Number(v);
  if (mode === 'fixed' && n <= 0) errs.push({ field: `${path}.value`, message: `Invalid value: "${v}": value must be greater than 0` });
  if (mode !== 'fixed' && (n <= 0 || n > 100))
    errs.push({ field: `${path}.value`, message: `Invalid value: "${v}": value must be in (0, 100]` });
}

function validateDurationField(v: unknown, path: string, errs: FieldError[], required: boolean): void {
  if (v === undefined || v === null || v === '') {
    if (required) errs.push({ field: path, message: 'Required value: a Go duration like "30s" or "5m"' });
    return;
  }
  if (typeof v !== 'string' || parseGoDuration(v) === undefined || (parseGoDuration(v) ?? 0) < 0)
    errs.push({ field: path, message: `Invalid value: ${JSON.stringify(v)}: not a Go duration (e.g. "30s", "1m30s")` });
}

function validateFloatString(v: unknown, path: string, errs: FieldError[], required = true): void {
  if (v === undefined) {
    if (required) errs.push({ field: path, message: 'Required value' });
    return;
  }
  if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v))
    errs.push({ field: path, message: `Invalid value: ${JSON.stringify(v)}: must be a number as a string (e.g. "25")` });
}

const POD_ACTIONS = ['pod-kill', 'pod-failure', 'container-kill'] as const;
const NET_ACTIONS = ['netem', 'delay', 'loss', 'duplicate', 'corrupt', 'partition', 'bandwidth'] as const;

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

export function validateChaosSpec(kind: ChaosKind, spec: unknown, path: string, errs: FieldError[]): void {
  if (!isRecord(spec)) {
    errs.push({ field: path, message: 'Required value' });
    return;
  }
  validateSelector(spec.selector, `${path}.selector`, errs);
  validateMode(spec.mode, spec.value, path, errs);
  if (spec.containerNames !== undefined && !isStringList(spec.containerNames))
    errs.push({ field: `${path}.containerNames`, message: 'must be a list of strings' });
  switch (kind) {
    case 'PodChaos': {
      const action = spec.action ?? 'pod-kill';
      if (!POD_ACTIONS.includes(action as (typeof POD_ACTIONS)[number]))
        errs.push({
          field: `${path}.action`,
          message: `Unsupported value: ${JSON.stringify(action)}: supported values: ${POD_ACTIONS.map((a) => `"${a}"`).join(', ')}`,
        });
      if (action === 'container-kill' && !(isStringList(spec.containerNames) && spec.containerNames.length > 0))
        errs.push({ field: `${path}.containerNames`, message: 'Required value: container-kill needs at least one container name' });
      if (spec.gracePeriod !== undefined && !(Number.isInteger(spec.gracePeriod) && (spec.gracePeriod as number) >= 0))
        errs.push({ field: `${path}.gracePeriod`, message: `Invalid value: ${JSON.stringify(spec.gracePeriod)}: must be an integer >= 0` });
      validateDurationField(spec.duration, `${path}.duration`, errs, action === 'pod-failure');
      break;
    }
    case 'NetworkChaos': {
      const action = spec.action;
      if (!NET_ACTIONS.includes(action as (typeof NET_ACTIONS)[number]))
        errs.push({
          field: `${path}.action`,
          message: `Unsupported value: ${JSON.stringify(action ?? '')}: supported values: ${NET_ACTIONS.map((a) => `"${a}"`).join(', ')}`,
        });
      if (spec.direction !== undefined && !['to', 'from', 'both'].includes(String(spec.direction)))
        errs.push({
          field: `${path}.direction`,
          message: `Unsupported value: ${JSON.stringify(spec.direction)}: supported values: "to", "from", "both"`,
        });
      if (spec.externalTargets !== undefined && !isStringList(spec.externalTargets))
        errs.push({ field: `${path}.externalTargets`, message: 'must be a list of IPs or host names' });
      if (
        action !== 'partition' &&
        (spec.direction === 'from' || spec.direction === 'both') &&
        isStringList(spec.externalTargets) &&
        spec.externalTargets.length > 0
      )
        errs.push({
          field: `${path}.direction`,
          message: 'external targets cannot be used with `from` and `both` direction in netem action yet',
        });
      if (spec.target !== undefined) {
        if (!isRecord(spec.target)) errs.push({ field: `${path}.target`, message: 'must be an object {selector, mode, value}' });
        else {
          validateSelector(spec.target.selector, `${path}.target.selector`, errs);
          validateMode(spec.target.mode, spec.target.value, `${path}.target`, errs);
        }
      }
      if (action === 'delay') {
        const d = spec.delay;
        if (!isRecord(d)) errs.push({ field: `${path}.delay`, message: 'Required value: {latency: "100ms", jitter?, correlation?}' });
        else {
          validateDurationField(d.latency, `${path}.delay.latency`, errs, true);
          if (d.jitter !== undefined) validateDurationField(d.jitter, `${path}.delay.jitter`, errs, false);
          validateFloatString(d.correlation, `${path}.delay.correlation`, errs, false);
        }
      }
      if (action === 'loss') {
        const l = spec.loss;
        if (!isRecord(l)) errs.push({ field: `${path}.loss`, message: 'Required value: {loss: "25", correlation?}' });
        else {
          validateFloatString(l.loss, `${path}.loss.loss`, errs);
          validateFloatString(l.correlation, `${path}.loss.correlation`, errs, false);
        }
      }
      validateDurationField(spec.duration, `${path}.duration`, errs, false);
      break;
    }
    case 'StressChaos': {
      const s = spec.stressors;
      if (!isRecord(s) && typeof spec.stressngStressors !== 'string')
        errs.push({ field: `${path}.stressors`, message: 'Required value: stressors.cpu / stressors.memory or stressngStressors' });
      if (isRecord(s) && isRecord(s.cpu)) {
        if (!(Number.isInteger(s.cpu.workers) && (s.cpu.workers as number) > 0))
          errs.push({
            field: `${path}.stressors.cpu.workers`,
            message: `Invalid value: ${JSON.stringify(s.cpu.workers)}: must be an integer > 0`,
          });
        if (s.cpu.load !== undefined && !(Number.isInteger(s.cpu.load) && (s.cpu.load as number) >= 0 && (s.cpu.load as number) <= 100))
          errs.push({
            field: `${path}.stressors.cpu.load`,
            message: `Invalid value: ${JSON.stringify(s.cpu.load)}: must be an integer in [0, 100]`,
          });
      }
      if (isRecord(s) && !isRecord(s.cpu) && !isRecord(s.memory))
        errs.push({ field: `${path}.stressors`, message: 'Required value: at least one of cpu, memory' });
      validateDurationField(spec.duration, `${path}.duration`, errs, false);
      break;
    }
    case 'TimeChaos': {
      if (typeof spec.timeOffset !== 'string' || parseGoDuration(spec.timeOffset) === undefined)
        errs.push({
          field: `${path}.timeOffset`,
          message: `Invalid value: ${JSON.stringify(spec.timeOffset ?? '')}: a Go duration like "-10m100ns" is required`,
        });
      if (spec.clockIds !== undefined && !(isStringList(spec.clockIds) && spec.clockIds.every((c) => /^CLOCK_[A-Z_]+$/.test(c))))
        errs.push({ field: `${path}.clockIds`, message: 'must be a list like ["CLOCK_REALTIME"]' });
      validateDurationField(spec.duration, `${path}.duration`, errs, false);
      break;
    }
  }
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

// ---------------------------------------------------------------- mode selection

/**
 * Pick targets from candidates by mode, as pkg/selector does: one = a random one; all = every one;
 * fixed = min(value, n) random; fixed-percent = floor(n * value / 100) random; random-max-percent =
 * floor(n * rand[0..value] / 100) random. Throws Error with the webhook's message on a bad value.
 */
export function selectByMode<T>(candidates: readonly T[], mode: Mode, value: string | undefined, rand: () => number = Math.random): T[] {
  if (candidates.length === 0) return [];
  const pick = (n: number): T[] => {
    const pool = [...candidates];
    const out: T[] = [];
    for (let i = 0; i < n && pool.length > 0; i++) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]);
    return out;
  };
  const num = (): number => {
    const n = Number(value);
    if (value === undefined || !/^-?\d+$/.test(value))
      throw new Error(`${mode} mode needs an integer value, got ${JSON.stringify(value ?? '')}`);
    return n;
  };
  switch (mode) {
    case 'one':
      return pick(1);
    case 'all':
      return [...candidates];
    case 'fixed': {
      const n = num();
      if (n <= 0) throw new Error('cannot select any pod as value below or equal 0');
      return pick(Math.min(n, candidates.length));
    }
    case 'fixed-percent': {
      const p = num();
      if (p <= 0) throw new Error('cannot select any pod as value below or equal 0');
      if (p > 100) throw new Error(`fixed percentage value of ${p} is invalid, Must be (0,100]`);
      return pick(Math.floor((candidates.length * p) / 100));
    }
    case 'random-max-percent': {
      const max = num();
      if (max <= 0) throw new Error('cannot select any pod as value below or equal 0');
      if (max > 100) throw new Error(`fixed percentage value of ${max} is invalid, Must be [0-100]`);
      const p = Math.floor(rand() * (max + 1));
      return pick(Math.floor((candidates.length * p) / 100));
    }
  }
}

// ---------------------------------------------------------------- label / expression matching

export function matchLabelMap(want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

export function matchExpressions(exprs: ExpressionSelector[] | undefined, labels: Record<string, string> | undefined): boolean {
  if (!exprs) return true;
  return exprs.every((e) => {
    const has = labels !== undefined && e.key in labels;
    const v = labels?.[e.key];
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(v as string);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(v as string);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
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
export function isOneShot(kind: string, spec: Record<string, unknown> | undefined): boolean {
  return kind === 'PodChaos' && (spec?.action === undefined || spec.action === 'pod-kill' || spec.action === 'container-kill');
}

/** The selector specs of a chaos object by selector key ('.' and, for NetworkChaos with a target, '.Target'). */
export function selectorSpecs(
  kind: ChaosKind,
  spec: Record<string, unknown>,
): Array<{ key: string; selector: PodSelectorSpec; mode: Mode; value?: string }> {
  const out: Array<{ key: string; selector: PodSelectorSpec; mode: Mode; value?: string }> = [
    { key: '.', selector: (spec.selector ?? {}) as PodSelectorSpec, mode: spec.mode as Mode, value: spec.value as string | undefined },
  ];
  if (kind === 'NetworkChaos' && isRecord(spec.target)) {
    out.push({
      key: '.Target',
      selector: (spec.target.selector ?? {}) as PodSelectorSpec,
      mode: spec.target.mode as Mode,
      value: spec.target.value as string | undefined,
    });
  }
  return out;
}

/** Whether records are per container (ns/pod/container) rather than per pod (ns/pod). */
export function recordsPerContainer(kind: ChaosKind, spec: Record<string, unknown>): boolean {
  return (kind === 'PodChaos' && spec.action === 'container-kill') || kind === 'StressChaos' || kind === 'TimeChaos';
}

// ---------------------------------------------------------------- cron

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
