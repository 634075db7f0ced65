/**
 * Target selection of the emulated Chaos Mesh controller (pkg/selector/pod): list the pods a
 * PodSelectorSpec matches in the store, then pick by mode. Namespaces default to the chaos object's
 * namespace; `pods` (ns -> names) lists exact pods; nodes, nodeSelectors, labelSelectors,
 * expressionSelectors, annotationSelectors, fieldSelectors and podPhaseSelectors all narrow it.
 * Pods already being deleted are skipped.
 */
import type { KubeObject, ObjectStore } from '../types.ts';
import { GVR } from '../controllers/common.ts';
import { fieldValue } from '../../harness/k8s/label-selector.ts';
import { matchExpressions, matchLabelMap, selectByMode, type Mode, type PodSelectorSpec } from '../../chaos/model.ts';

export interface PodCandidate {
  namespace: string;
  name: string;
  node?: string;
  hostNetwork: boolean;
  containers: string[];
}

function toCandidate(p: KubeObject): PodCandidate {
  const spec = (p.spec ?? {}) as { nodeName?: string; hostNetwork?: boolean; containers?: Array<{ name: string }> };
  return {
    namespace: p.metadata.namespace ?? 'default',
    name: p.metadata.name,
    node: spec.nodeName,
    hostNetwork: !!spec.hostNetwork,
    containers: (spec.containers ?? []).map((c) => c.name),
  };
}

/** Pure filter over pods and nodes (exported for tests). */
export function filterPods(pods: KubeObject[], nodes: KubeObject[], sel: PodSelectorSpec, defaultNamespace: string): KubeObject[] {
  const namespaces = sel.namespaces && sel.namespaces.length > 0 ? new Set(sel.namespaces) : new Set([defaultNamespace]);
  const exact = sel.pods && Object.keys(sel.pods).length > 0 ? sel.pods : undefined;
  let nodeSet: Set<string> | undefined;
  if (sel.nodes && sel.nodes.length > 0) nodeSet = new Set(sel.nodes);
  if (sel.nodeSelectors && Object.keys(sel.nodeSelectors).length > 0) {
    const byLabel = new Set(nodes.filter((n) => matchLabelMap(sel.nodeSelectors, n.metadata.labels)).map((n) => n.metadata.name));
    nodeSet = nodeSet ? new Set([...nodeSet].filter((n) => byLabel.has(n))) : byLabel;
  }
  const phases = sel.podPhaseSelectors && sel.podPhaseSelectors.length > 0 ? new Set(sel.podPhaseSelectors) : undefined;
  return pods.filter((p) => {
    const ns = p.metadata.namespace ?? 'default';
    if (p.metadata.deletionTimestamp) return false;
    if (exact) {
      if (!(exact[ns] ?? []).includes(p.metadata.name)) return false;
    } else if (!namespaces.has(ns)) return false;
    if (!matchLabelMap(sel.labelSelectors, p.metadata.labels)) return false;
    if (!matchExpressions(sel.expressionSelectors, p.metadata.labels)) return false;
    if (!matchLabelMap(sel.annotationSelectors, p.metadata.annotations)) return false;
    for (const [path, want] of Object.entries(sel.fieldSelectors ?? {})) if (fieldValue(p, path) !== want) return false;
    if (nodeSet && !nodeSet.has(((p.spec ?? {}) as { nodeName?: string }).nodeName ?? '')) return false;
    if (phases && !phases.has(((p.status ?? {}) as { phase?: string }).phase ?? '')) return false;
    return true;
  });
}

/** Select targets from the store. Throws Error (the controller's message) on a bad mode value. */
export function selectPods(
  store: ObjectStore,
  sel: PodSelectorSpec,
  mode: Mode,
  value: string | undefined,
  defaultNamespace: string,
): PodCandidate[] {
  const exact = sel.pods && Object.keys(sel.pods).length > 0;
  const namespaces = exact
    ? Object.keys(sel.pods ?? {})
    : sel.namespaces && sel.namespaces.length > 0
      ? sel.namespaces
      : [defaultNamespace];
  const pods: KubeObject[] = [];
  for (const ns of namespaces) pods.push(...store.list(GVR.pods, { namespace: ns }));
  const needNodes = !!sel.nodeSelectors && Object.keys(sel.nodeSelectors).length > 0;
  const nodes = needNodes ? store.list(GVR.nodes) : [];
  const matched = filterPods(pods, nodes, sel, defaultNamespace).sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
  return selectByMode(matched, mode, value).map(toCandidate);
}
