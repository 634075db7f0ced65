/**
 * Chaos Mesh target selection as data: PodSelectorSpec, mode + value, their webhook validation, the
 * pick by mode and the label / expression matchers. Pure; shared by every chaos kind, the harness and
 * the embedded cluster's controller (sim/chaos/select.ts).
 *
 * Sources: chaos-mesh api/v1alpha1 (selector.go, common_types.go, common_webhook.go), pkg/selector.
 */
import { isRecord, isStringList, isStringMap, type FieldError } from './fields.ts';
import { matchLabelSelector } from '../harness/k8s/label-selector.ts';

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

// ---------------------------------------------------------------- validation (webhook)

export function validateSelector(sel: unknown, path: string, errs: FieldError[]): void {
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

// ---------------------------------------------------------------- label / expression matching (the one selector module)

export function matchLabelMap(want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean {
  return matchLabelSelector({ matchLabels: want }, have);
}

export function matchExpressions(exprs: ExpressionSelector[] | undefined, labels: Record<string, string> | undefined): boolean {
  return matchLabelSelector({ matchExpressions: exprs }, labels);
}

/** One selector of a chaos object: '.' is spec.selector; kinds add more (NetworkChaos '.Target'). */
export interface SelectorTarget {
  key: string;
  selector: PodSelectorSpec;
  mode: Mode;
  value?: string;
}
