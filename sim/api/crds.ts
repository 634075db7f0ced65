/**
 * CustomResourceDefinition -> served kinds. The store tells us about CRD writes; each served
 * version becomes a ResourceType (schema, printer columns, status subresource) and discovery
 * updates at once. Deleting a CRD deletes its custom resources, as on a real cluster.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { KubeObject } from '../types.ts';
import type { JSONSchemaProps } from './crd-schema.ts';
import type { PrinterColumn, ResourceType } from './resources.ts';
import type { MemoryStore } from './store.ts';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: unknown; scale?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions: CrdVersion[];
}

export function crdTypes(crd: KubeObject): ResourceType[] {
  const spec = crd.spec as unknown as CrdSpec;
  return spec.versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group: spec.group,
      version: v.name,
      resource: spec.names.plural,
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames,
      categories: spec.names.categories,
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      subresources: [
        ...(v.subresources?.status !== undefined ? ['status'] : []),
        ...(v.subresources?.scale !== undefined ? ['scale'] : []),
      ],
      strategicPatch: false,
      schema: v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      printerColumns: v.additionalPrinterColumns ?? [],
    }));
}

/** Wires CRD writes in the store to the registry. */
export function watchCrds(store: MemoryStore): void {
  const served = new Map<string, ResourceType[]>();
  store.onCrdChange = (crd, type) => {
    const prev = served.get(crd.metadata.name) ?? [];
    const next = type === 'DELETED' ? [] : crdTypes(crd);
    for (const t of prev) {
      if (!next.some((n) => n.version === t.version)) {
        if (type === 'DELETED') {
          try {
            store.deleteCollection(t, {});
          } catch (_e) {
            // nothing stored
          }
        }
        store.registry.remove(t);
      }
    }
    for (const t of next) store.registry.add(t);
    served.set(crd.metadata.name, next);
    if (type !== 'DELETED' && !(crd.status as Record<string, unknown> | undefined)?.acceptedNames) {
      // Established, like the apiextensions controller reports (kubectl wait --for=condition=Established).
      queueMicrotask(() => {
        try {
          store.mutate(
            { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
            undefined,
            crd.metadata.name,
            (o) => {
              const s = o.spec as unknown as CrdSpec;
              const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
              o.status = {
                acceptedNames: {
                  plural: s.names.plural,
                  singular: s.names.singular ?? s.names.kind.toLowerCase(),
                  kind: s.names.kind,
                  listKind: s.names.listKind ?? `${s.names.kind}List`,
                  ...(s.names.shortNames ? { shortNames: s.names.shortNames } : {}),
                },
                conditions: [
                  { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
                  {
                    type: 'Established',
                    status: 'True',
                    reason: 'InitialNamesAccepted',
                    message: 'the initial names have been accepted',
                    lastTransitionTime: now,
                  },
                ],
                storedVersions: s.versions.filter((v) => v.storage).map((v) => v.name),
              };
            },
            { subresource: 'status' },
          );
        } catch (_e) {
          // deleted meanwhile
        }
      });
    }
  };
}

/** The CRD manifests shipped in sim/api/crds/*.yaml (multi-document files allowed). */
export function loadCrdManifests(dir = join(import.meta.dirname, 'crds')): KubeObject[] {
  const out: KubeObject[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()) {
    for (const doc of YAML.parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
      const o = doc.toJS() as KubeObject | null;
      if (o && o.kind === 'CustomResourceDefinition') out.push(o);
    }
  }
  return out;
}
