/**
 * The registry of served resource types: built-in kinds plus the kinds CRDs add at runtime.
 * Discovery, OpenAPI, routing, validation and tables all read from here, so a CRD created over
 * the API shows up everywhere at once (listeners are told on every change).
 */
import type { GroupVersionResource } from '../types.ts';
import type { JSONSchemaProps } from './crd-schema.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  /** lowercase plural */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** 'status', 'log', 'exec', ... */
  subresources: string[];
  /** Built-in kinds take strategic-merge patches; custom resources do not (like the real server). */
  strategicPatch: boolean;
  /** Custom resources: the openAPIV3Schema of the served version. */
  schema?: JSONSchemaProps;
  printerColumns?: PrinterColumn[];
  /** Virtual kinds (reviews) are created but never stored. */
  virtual?: boolean;
  /** Name rule for metadata.name. */
  nameRule?: 'subdomain' | 'label' | 'path';
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function gvrKey(g: GroupVersionResource): string {
  return `${g.group}/${g.version}/${g.resource}`;
}

export function apiVersionOf(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

function core(resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return builtin('', 'v1', resource, kind, namespaced, extra);
}

function builtin(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: ALL_VERBS,
    subresources: [],
    strategicPatch: true,
    ...extra,
  };
}

export function builtinTypes(): ResourceType[] {
  return [
    core('namespaces', 'Namespace', false, {
      shortNames: ['ns'],
      subresources: ['status', 'finalize'],
      nameRule: 'label',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    }),
    core('nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
    core('pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'exec'] }),
    core('events', 'Event', true, { shortNames: ['ev'] }),
    core('configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    core('secrets', 'Secret', true),
    core('services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'], nameRule: 'label' }),
    core('endpoints', 'Endpoints', true, { shortNames: ['ep'] }),
    core('serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
    builtin('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status'] }),
    builtin('apps', 'v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'], categories: ['all'], subresources: ['status'] }),
    builtin('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'] }),
    builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
    builtin('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true, { nameRule: 'path' }),
    builtin('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true, { nameRule: 'path' }),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false, { nameRule: 'path' }),
    builtin('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false, { nameRule: 'path' }),
    builtin('config.openshift.io', 'v1', 'clusterversions', 'ClusterVersion', false, { subresources: ['status'], strategicPatch: false }),
    builtin('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, {
      verbs: ['create'],
      virtual: true,
    }),
    builtin('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'], virtual: true }),
    builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: ['status'],
    }),
  ];
}

export class ResourceRegistry {
  private byKey = new Map<string, ResourceType>();
  private listeners = new Set<() => void>();

  constructor(types: ResourceType[] = builtinTypes()) {
    for (const t of types) this.byKey.set(gvrKey(t), t);
  }

  add(t: ResourceType): void {
    this.byKey.set(gvrKey(t), t);
    this.changed();
  }

  remove(g: GroupVersionResource): void {
    if (this.byKey.delete(gvrKey(g))) this.changed();
  }

  get(g: GroupVersionResource): ResourceType | undefined {
    return this.byKey.get(gvrKey(g));
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  /** Groups in discovery order: core first, then by first registration. */
  groups(): Map<string, ResourceType[]> {
    const m = new Map<string, ResourceType[]>();
    for (const t of this.byKey.values()) {
      const k = `${t.group}/${t.version}`;
      let l = m.get(k);
      if (!l) m.set(k, (l = []));
      l.push(t);
    }
    return m;
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const t of this.byKey.values()) if (t.kind === kind && apiVersionOf(t) === apiVersion) return t;
    return undefined;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
