/**
 * What a chaos kind is, as one declarative value (chaos/kinds/<kind>.ts): its CRD names, the
 * webhook-style validation of its spec, whether it is one-shot and how it keys its records, its extra
 * selectors, its CRD schema, what the embedded cluster does with it, and its templates (zod params +
 * manifest). The registry (chaos/kinds/index.ts) is the one list; chaos/model.ts, the templates, the
 * CLI, the docs, the CRD file and the embedded cluster's controller all derive from it.
 */
import type { z } from 'zod';
import type { FieldError, Spec } from './fields.ts';
import type { SelectorTarget } from './selector.ts';

/** A manifest template of a kind: YAML with `{{ param }}` placeholders and the zod params that fill them. */
export interface ChaosTemplateDef {
  /** what the template does, for `chaos list` and the README (e.g. "PodChaos `pod-kill` (one-shot)") */
  summary: string;
  /** the params besides the common ones (chaos/params.ts commonParams) are documented from this schema */
  params: z.ZodObject;
  /** YAML with `{{ param }}` placeholders; each becomes the JSON form of the param (valid YAML) */
  manifest: string;
}

/** A printer column of the kind's CRD (`kubectl get <resource>`). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer';
  jsonPath: string;
}

export interface ChaosKindDef<K extends string = string, T extends Record<string, ChaosTemplateDef> = Record<string, ChaosTemplateDef>> {
  /** the CRD kind, e.g. PodChaos */
  kind: K;
  /** lowercase plural resource of the CRD, e.g. podchaos */
  resource: string;
  /** the key of the embedded spec in a Schedule, e.g. podChaos */
  scheduleKey: string;
  /** one line for `chaos list` and the docs */
  description: string;
  /** upstream source of the fields and the webhook rules */
  source: string;
  /**
   * The kind's part of the webhook: what Chaos Mesh's admission webhook (and CRD schema) rejects beyond
   * the common selector / mode / containerNames checks. Push every error; do not stop at the first.
   */
  validate(spec: Spec, path: string, errs: FieldError[]): void;
  /** One-shot: desiredPhase stays Run until the object is deleted (records stay Injected), e.g. pod-kill. */
  oneShot(spec: Spec): boolean;
  /** Records per container (ns/pod/container) rather than per pod (ns/pod). */
  recordsPerContainer(spec: Spec): boolean;
  /** Selectors besides spec.selector ('.'), e.g. NetworkChaos spec.target ('.Target'). */
  extraSelectors?(spec: Spec): SelectorTarget[];
  /** The CRD's spec schema and printer columns (sim/api/crds/chaos-mesh.org.yaml is generated from them). */
  crd: { required: string[]; properties: Record<string, unknown>; printerColumns: PrinterColumn[] };
  /** What the embedded cluster (sim/chaos/kinds/<kind>.ts) does when a record is applied, for the docs. */
  embeddedEffect: string;
  templates: T;
}

/**
 * Declare a chaos kind; the literal kind name and template ids flow into ChaosKind and TemplateId. The
 * resource and the Schedule key follow Chaos Mesh's naming (PodChaos: podchaos, podChaos) unless given.
 */
export function defineChaosKind<const K extends string, T extends Record<string, ChaosTemplateDef>>(
  def: Omit<ChaosKindDef<K, T>, 'resource' | 'scheduleKey'> & Partial<Pick<ChaosKindDef<K, T>, 'resource' | 'scheduleKey'>>,
): ChaosKindDef<K, T> {
  return {
    ...def,
    resource: def.resource ?? def.kind.toLowerCase(),
    scheduleKey: def.scheduleKey ?? def.kind[0].toLowerCase() + def.kind.slice(1),
  };
}

/** CRD schema bits every kind shares: the selected pods (mode, value, selector) and the duration. */
export const CRD_SELECTED = {
  mode: { type: 'string', enum: ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] },
  value: { type: 'string' },
  duration: { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' },
  selector: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
} as const;
export const CRD_CONTAINER_NAMES = { type: 'array', items: { type: 'string' } } as const;

export const PRINTER = {
  action: { name: 'action', type: 'string', jsonPath: '.spec.action' },
  duration: { name: 'duration', type: 'string', jsonPath: '.spec.duration' },
  age: { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
} as const satisfies Record<string, PrinterColumn>;

/** mode + value lines of a template (the modeValueParams). */
export const MODE_VALUE = 'mode: {{ mode }}\nvalue: {{ value }}';

/** Which pods a template selects: the ovnkube-node-like pod of one node, or the app's pods on some nodes. */
export const SELECT_ON_NODE = `selector:
  namespaces: [{{ targetNamespace }}]
  labelSelectors:
    app: {{ app }}
  fieldSelectors:
    spec.nodeName: {{ node }}`;
export const SELECT_ON_NODES = `selector:
  namespaces: [{{ targetNamespace }}]
  labelSelectors:
    app: {{ app }}
  nodes: {{ nodes }}`;

/**
 * A template's manifest: the object header every template shares (name, namespace, the managed-by
 * label) around the kind's spec lines (YAML at spec level, no indent; `{{ param }}` placeholders).
 */
export function chaosManifest(kind: string, ...specParts: string[]): string {
  const spec = specParts
    .join('\n')
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
  return `apiVersion: chaos-mesh.org/v1alpha1
kind: ${kind}
metadata:
  name: {{ name }}
  namespace: {{ namespace }}
  labels:
    app.kubernetes.io/managed-by: netharness
spec:
${spec}
`;
}
