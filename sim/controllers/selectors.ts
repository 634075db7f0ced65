/**
 * Label selectors (string and object form), field selectors, node selector terms and
 * taint/toleration matching, as k8s.io/apimachinery and k8s.io/component-helpers define them. Pure.
 */
import type { KubeObject } from '../types.ts';
import { matchLabelSelector as matchLabelSelectorObject } from '../../harness/k8s/label-selector.ts';
import type { LabelSelector, NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration } from './kinds.ts';

export interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';
  values: string[];
}

/** Parses `app=x,tier in (a,b),!legacy,env!=prod,k` (throws Error on bad syntax). */
export function parseLabelSelector(sel: string | undefined): Requirement[] {
  if (!sel || !sel.trim()) return [];
  const reqs: Requirement[] = [];
  // split on commas outside parentheses
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) throw new Error(`invalid label selector '${sel}'`);
    let m = /^([^\s!=<>()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p);
    if (m) {
      reqs.push({ key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) });
      continue;
    }
    m = /^!\s*([^\s!=<>()]+)$/.exec(p);
    if (m) {
      reqs.push({ key: m[1], op: '!', values: [] });
      continue;
    }
    m = /^([^\s!=<>()]+)\s*(==|=|!=|>|<)\s*([^\s!=<>(),]*)$/.exec(p);
    if (m) {
      const op = m[2] === '==' ? '=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : (m[2] as '=' | '!=');
      reqs.push({ key: m[1], op, values: [m[3]] });
      continue;
    }
    m = /^([^\s!=<>()]+)$/.exec(p);
    if (m) {
      reqs.push({ key: m[1], op: 'exists', values: [] });
      continue;
    }
    throw new Error(`invalid label selector '${sel}'`);
  }
  return reqs;
}

export function matchRequirements(labels: Record<string, string> | undefined, reqs: Requirement[]): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        if (!has || v !== r.values[0]) return false;
        break;
      case '!=':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has) return false;
        const a = Number(v);
        const b = Number(r.values[0]);
        if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
        if (r.op === 'gt' ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

export function matchLabelSelectorString(labels: Record<string, string> | undefined, sel: string | undefined): boolean {
  return matchRequirements(labels, parseLabelSelector(sel));
}

/** metav1.LabelSelector. An empty selector matches everything; a missing one (undefined) nothing. */
export function matchLabelSelector(labels: Record<string, string> | undefined, sel: LabelSelector | undefined): boolean {
  return sel !== undefined && matchLabelSelectorObject(sel, labels);
}

/** `metadata.name=x,spec.nodeName!=y` */
export function parseFieldSelector(sel: string | undefined): { path: string; op: '=' | '!='; value: string }[] {
  if (!sel || !sel.trim()) return [];
  return sel.split(',').map((p) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(p);
    if (!m) throw new Error(`invalid field selector '${sel}'`);
    return { path: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] };
  });
}

export function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[seg];
    else return '';
  }
  if (cur === undefined || cur === null) return '';
  return String(cur);
}

export function matchFieldSelector(obj: KubeObject, sel: string | undefined): boolean {
  for (const r of parseFieldSelector(sel)) {
    const v = fieldValue(obj, r.path);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

function matchNodeRequirement(value: string | undefined, r: NodeSelectorRequirement): boolean {
  const has = value !== undefined;
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && vals.includes(value);
    case 'NotIn':
      return !has || !vals.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || vals.length !== 1) return false;
      const a = Number(value);
      const b = Number(vals[0]);
      if (!Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** NodeSelectorTerms are ORed; the requirements of one term are ANDed; an empty term matches nothing. */
export function matchNodeSelectorTerms(node: KubeObject, terms: NodeSelectorTerm[]): boolean {
  const labels = node.metadata.labels ?? {};
  for (const t of terms) {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) continue;
    const ok =
      exprs.every((r) => matchNodeRequirement(Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined, r)) &&
      fields.every((r) => matchNodeRequirement(r.key === 'metadata.name' ? node.metadata.name : undefined, r));
    if (ok) return true;
  }
  return false;
}

/** v1.Toleration.ToleratesTaint */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  if (!tol.key && tol.operator !== 'Exists') return false;
  switch (tol.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (tol.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: Taint[] | undefined,
  tolerations: Toleration[] | undefined,
  effects: Taint['effect'][],
): Taint | undefined {
  for (const t of taints ?? []) {
    if (!effects.includes(t.effect)) continue;
    if (!(tolerations ?? []).some((tol) => toleratesTaint(tol, t))) return t;
  }
  return undefined;
}
