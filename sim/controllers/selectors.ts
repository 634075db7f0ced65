/**
 * The controllers' selector helpers. Label selectors come from the one selector module
 * (harness/k8s/label-selector.ts, k8s.io/apimachinery's grammar; a bad string throws SelectorSyntaxError);
 * node selector terms (with Gt/Lt) and taint/toleration matching are scheduling rules, as
 * k8s.io/component-helpers defines them. Pure.
 */
import type { KubeObject } from '../types.ts';
import {
  matchLabelRequirements,
  matchLabelSelector as matchLabelSelectorObject,
  parseLabelSelector,
  type LabelRequirement,
} from '../../harness/k8s/label-selector.ts';
import type { LabelSelector, NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration } from './kinds.ts';

export type Requirement = LabelRequirement;
export { parseLabelSelector };

export function matchLabelSelectorString(labels: Record<string, string> | undefined, sel: string | undefined): boolean {
  return matchLabelRequirements(parseLabelSelector(sel), labels);
}

/** metav1.LabelSelector. An empty selector matches everything; a missing one (undefined) nothing. */
export function matchLabelSelector(labels: Record<string, string> | undefined, sel: LabelSelector | undefined): boolean {
  return sel !== undefined && matchLabelSelectorObject(sel, labels);
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
