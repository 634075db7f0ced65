/**
 * Pieces shared by the ReplicaSet, Deployment and DaemonSet controllers.
 */
import type { KubeObject, OwnerReference } from '../types.ts';
import { deepClone, fnv32a, randomSuffix, safeEncode, stableJson } from './common.ts';
import type { PodTemplate } from './kinds.ts';

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A pod from a template, named `<prefix>-<5 chars>` (generateName `<prefix>-`). */
export function podFromTemplate(template: PodTemplate, owner: KubeObject, extraLabels: Record<string, string> = {}): KubeObject {
  const md = template.metadata ?? {};
  const prefix = owner.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${prefix}-${randomSuffix()}`,
      generateName: `${prefix}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(md.labels ?? {}), ...extraLabels },
      ...(md.annotations ? { annotations: { ...md.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: deepClone(template.spec) as unknown as Record<string, unknown>,
  };
}

/** pod-template-hash / controller-revision-hash: SafeEncodeString(fnv32a(template)) */
export function templateHash(template: PodTemplate, collisionCount = 0): string {
  const t = deepClone(template);
  if (t.metadata?.labels) {
    delete t.metadata.labels['pod-template-hash'];
    delete t.metadata.labels['controller-revision-hash'];
    delete t.metadata.labels['pod-template-generation'];
  }
  return safeEncode(String(fnv32a(stableJson(t) + (collisionCount ? String(collisionCount) : ''))));
}

/** intstr: 25% of n (round up or down) or an absolute number. */
export function resolveIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean, dflt: number | string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) return Number(x) || 0;
  const f = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}
