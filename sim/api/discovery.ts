/**
 * Discovery documents (/version, /api, /apis, group and group-version resource lists), built from
 * the registry on demand and cached until a CRD changes the served kinds. The plain (legacy) form is
 * served to every client: kubectl 1.32 asks for aggregated discovery first and falls back when the
 * answer is plain application/json.
 */
import { apiVersionOf, type ResourceRegistry, type ResourceType } from './resources.ts';

export const KUBE_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.6',
  gitCommit: '6a6f7c3a7a5b0b1b3c3c1c0e1f2d3c4b5a697887',
  gitTreeState: 'clean',
  buildDate: '2025-02-12T00:00:00Z',
  goVersion: 'go1.22.12',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function subVerbs(t: ResourceType, sub: string): { kind: string; verbs: string[] } {
  switch (sub) {
    case 'status':
      return { kind: t.kind, verbs: ['get', 'patch', 'update'] };
    case 'log':
      return { kind: 'Pod', verbs: ['get'] };
    case 'exec':
      return { kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'finalize':
      return { kind: t.kind, verbs: ['update'] };
    default:
      return { kind: t.kind, verbs: ['get'] };
  }
}

export class Discovery {
  private cache = new Map<string, string>();

  constructor(private registry: ResourceRegistry) {
    registry.onChange(() => this.cache.clear());
  }

  private cached(key: string, build: () => unknown): string {
    let s = this.cache.get(key);
    if (s === undefined) this.cache.set(key, (s = JSON.stringify(build())));
    return s;
  }

  version(): string {
    return JSON.stringify(KUBE_VERSION);
  }

  coreVersions(serverAddress: string): string {
    return JSON.stringify({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    });
  }

  private groupDoc(name: string, versions: string[]): Record<string, unknown> {
    const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: vs, preferredVersion: vs[0] };
  }

  private groupVersions(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const t of this.registry.all()) {
      if (!t.group) continue;
      const l = m.get(t.group) ?? [];
      if (!l.includes(t.version)) l.push(t.version);
      m.set(t.group, l);
    }
    return m;
  }

  /**
   * Aggregated discovery (apidiscovery.k8s.io/v2): one document for /api or /apis with every
   * version's resources, so a client needs two requests instead of one per group-version.
   */
  aggregated(core: boolean): string {
    return this.cached(core ? 'agg:/api' : 'agg:/apis', () => {
      const groups = new Map<string, Map<string, ResourceType[]>>();
      for (const t of this.registry.all()) {
        if ((t.group === '') !== core) continue;
        const g = groups.get(t.group) ?? new Map<string, ResourceType[]>();
        const l = g.get(t.version) ?? [];
        l.push(t);
        g.set(t.version, l);
        groups.set(t.group, g);
      }
      const items = [...groups].map(([name, versions]) => ({
        metadata: { name, creationTimestamp: null },
        versions: [...versions].map(([version, types]) => ({
          version,
          resources: types.map((t) => ({
            resource: t.resource,
            responseKind: { group: t.group, version: t.version, kind: t.kind },
            scope: t.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: t.singular,
            verbs: t.verbs,
            ...(t.shortNames?.length ? { shortNames: t.shortNames } : {}),
            ...(t.categories?.length ? { categories: t.categories } : {}),
            ...(t.subresources.length
              ? {
                  subresources: t.subresources.map((sub) => {
                    const sv = subVerbs(t, sub);
                    return {
                      subresource: sub,
                      responseKind: { group: sub === 'exec' ? '' : t.group, version: t.version, kind: sv.kind },
                      verbs: sv.verbs,
                    };
                  }),
                }
              : {}),
          })),
          freshness: 'Current',
        })),
      }));
      return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
    });
  }

  groupList(): string {
    return this.cached('/apis', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...this.groupVersions()].map(([n, v]) => this.groupDoc(n, v)),
    }));
  }

  /** undefined when the group is not served */
  group(name: string): string | undefined {
    const v = this.groupVersions().get(name);
    if (!v) return undefined;
    return this.cached(`/apis/${name}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.groupDoc(name, v) }));
  }

  /** undefined when the group/version is not served */
  resourceList(group: string, version: string): string | undefined {
    const types = this.registry.all().filter((t) => t.group === group && t.version === version);
    if (!types.length) return undefined;
    return this.cached(`${group}/${version}`, () => {
      const resources: Record<string, unknown>[] = [];
      for (const t of types) {
        resources.push({
          name: t.resource,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: t.verbs,
          ...(t.shortNames?.length ? { shortNames: t.shortNames } : {}),
          ...(t.categories?.length ? { categories: t.categories } : {}),
        });
        for (const sub of t.subresources)
          resources.push({ name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, ...subVerbs(t, sub) });
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
    });
  }
}
