/**
 * metav1.LabelSelector matching (matchLabels + matchExpressions In/NotIn/Exists/DoesNotExist),
 * as k8s.io/apimachinery's LabelSelectorAsSelector defines it. Pure: shared by the harness
 * checks, the MCP server and the embedded cluster (sim/ may import pure harness modules).
 */

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement<Op extends string = string> {
  key: string;
  operator: Op;
  values?: string[];
}

export interface LabelSelector<Op extends string = string> {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement<Op>[];
}

/**
 * True when `labels` satisfy `sel`. An empty selector ({}) matches everything, and so does a
 * missing one (undefined): callers for which "no selector" means "nothing" check that first.
 * An unknown operator matches nothing (the apiserver would reject such a selector).
 */
export function matchLabelSelector(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True when the selector has neither matchLabels nor matchExpressions (it selects everything). */
export function labelSelectorIsEmpty(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}
