/**
 * Label and field selectors of a request, parsed once into predicates by the one selector module
 * (harness/k8s/label-selector.ts: k8s.io/apimachinery/pkg/labels and pkg/fields grammar). This file adapts
 * its syntax errors to ApiStatusError 400, so the server answers like the real one, and knows which field
 * labels each kind supports.
 */
import { ApiStatusError } from './errors.ts';
import type { KubeObject } from '../types.ts';
import * as sel from '../../harness/k8s/label-selector.ts';

export type { LabelRequirement, FieldRequirement } from '../../harness/k8s/label-selector.ts';
export {
  matchLabelRequirements as matchLabels,
  matchFieldRequirements as matchFields,
  fieldValue,
} from '../../harness/k8s/label-selector.ts';

function bad(msg: string): ApiStatusError {
  return new ApiStatusError(400, 'BadRequest', msg);
}

/** `fn()`, with a selector syntax error as the apiserver's 400 BadRequest. */
function as400<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof sel.SelectorSyntaxError) throw bad(err.message);
    throw err;
  }
}

export const parseLabelSelector = (s: string | undefined): sel.LabelRequirement[] => as400(() => sel.parseLabelSelector(s));
export const parseFieldSelector = (s: string | undefined): sel.FieldRequirement[] => as400(() => sel.parseFieldSelector(s));

/** One predicate for both selectors; undefined when nothing filters (fast path). */
export function compileSelectors(labelSelector?: string, fieldSelector?: string): ((o: KubeObject) => boolean) | undefined {
  return as400(() => sel.compileSelectors<KubeObject>(labelSelector, fieldSelector));
}

/**
 * Field labels each kind supports, as kube-apiserver's field label conversions and registry GetAttrs define them
 * (kubernetes/kubernetes pkg/apis/core/v1/conversion.go, pkg/apis/apps/v1/conversion.go,
 * pkg/registry/core/{pod,event,node,secret,namespace}/strategy.go). Every kind has metadata.name and
 * metadata.namespace; anything else is a 400 "field label not supported", as on a real cluster.
 */
const FIELD_LABELS: Record<string, string[]> = {
  '/pods': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  '/events': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  'events.k8s.io/events': [
    'regarding.kind',
    'regarding.namespace',
    'regarding.name',
    'regarding.uid',
    'reason',
    'reportingController',
    'type',
  ],
  '/nodes': ['spec.unschedulable'],
  '/namespaces': ['status.phase'],
  '/secrets': ['type'],
  '/replicationcontrollers': ['status.replicas'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
  'certificates.k8s.io/certificatesigningrequests': ['spec.signerName'],
};

/** 400 naming the field when `fieldSelector` uses a label the kind does not support. */
export function checkFieldSelector(group: string, resource: string, fieldSelector: string | undefined): void {
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[`${group}/${resource}`] ?? [])]);
  for (const r of parseFieldSelector(fieldSelector)) {
    if (!allowed.has(r.path)) throw bad(`field label not supported: ${r.path}`);
  }
}
