/**
 * OpenAPI v3, as much as `kubectl apply/create` needs: kubectl 1.32 asks /openapi/v3 for the
 * group-version document and looks for the kind's PATCH operation (x-kubernetes-group-version-kind)
 * with a `fieldValidation` query parameter. Finding it, kubectl leaves validation to the server
 * (fieldValidation=Strict) instead of validating client-side against /openapi/v2 (protobuf, which
 * the sim does not serve: 404).
 *
 * PATCH request bodies deliberately do not list strategic-merge-patch: kubectl then computes
 * apply patches from its compiled-in types (exact patchMergeKeys) instead of from these schemas.
 * Custom resources get their openAPIV3Schema in components so `kubectl explain` has something.
 */
import { apiVersionOf, type ResourceRegistry, type ResourceType } from './resources.ts';

function schemaName(t: ResourceType): string {
  const g = t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${g}.${t.version}.${t.kind}`;
}

function op(t: ResourceType, action: string, params: string[], bodyTypes?: string[]): Record<string, unknown> {
  return {
    operationId: `${action}${t.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
    parameters: params.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } })),
    ...(bodyTypes
      ? {
          requestBody: {
            content: Object.fromEntries(bodyTypes.map((b) => [b, { schema: { $ref: `#/components/schemas/${schemaName(t)}` } }])),
          },
        }
      : {}),
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } } } },
    },
  };
}

export class OpenApi {
  private generation = 0;

  constructor(private registry: ResourceRegistry) {
    registry.onChange(() => this.generation++);
  }

  private gvPaths(): Map<string, ResourceType[]> {
    const m = new Map<string, ResourceType[]>();
    for (const t of this.registry.all()) {
      const p = t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`;
      const l = m.get(p) ?? [];
      l.push(t);
      m.set(p, l);
    }
    return m;
  }

  index(): string {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const p of this.gvPaths().keys()) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${this.hash(p)}` };
    return JSON.stringify({ paths });
  }

  private hash(p: string): string {
    let h = 2166136261 ^ this.generation;
    for (const c of p) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return (h >>> 0).toString(16).toUpperCase().padStart(8, '0') + this.generation.toString(16);
  }

  /** undefined when the group-version is not served */
  document(gvPath: string): string | undefined {
    const types = this.gvPaths().get(gvPath);
    if (!types) return undefined;
    const paths: Record<string, unknown> = {};
    const schemas: Record<string, unknown> = {};
    const write = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
    for (const t of types) {
      const base = `/${gvPath}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
      if (t.virtual) {
        paths[base] = { post: op(t, 'post', write, ['*/*']) };
      } else {
        paths[base] = {
          get: op(t, 'list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion']),
          post: op(t, 'post', write, ['*/*']),
          delete: op(t, 'deletecollection', ['dryRun']),
        };
        paths[`${base}/{name}`] = {
          get: op(t, 'get', ['pretty']),
          put: op(t, 'put', write, ['*/*']),
          patch: op(
            t,
            'patch',
            [...write, 'force'],
            ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'],
          ),
          delete: op(t, 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']),
        };
        if (t.subresources.includes('status'))
          paths[`${base}/{name}/status`] = { get: op(t, 'get', []), put: op(t, 'put', write, ['*/*']) };
      }
      schemas[schemaName(t)] = {
        type: 'object',
        'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.kind }],
        ...(t.schema
          ? {
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                ...(t.schema.properties ?? {}),
              },
              ...(t.schema.required ? { required: t.schema.required } : {}),
            }
          : { 'x-kubernetes-preserve-unknown-fields': true }),
        description: `${t.kind} (${apiVersionOf(t)})`,
      };
    }
    return JSON.stringify({ openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.6' }, paths, components: { schemas } });
  }
}
