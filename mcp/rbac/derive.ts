/**
 * The RBAC the MCP server and the bundle exporter need, derived from what the tools declare they read
 * (AnyTool.reads, AnyTool.exec: mcp/registry.ts) and the kinds the bundle exports (mcp/bundle-export.ts).
 * mcp/rbac/readonly-clusterrole.yaml must grant exactly this (test/mcp/rbac.test.ts):
 *   - cluster-wide reads: get/list/watch (a `<resource>/log` subresource: get) in the ClusterRole;
 *   - namespaced reads of a resource the ClusterRole does not already grant: a Role in that namespace;
 *   - exec: `pods/exec` create in a Role of each namespace a tool execs into (never cluster-wide).
 */
import type { AnyTool, ApiRead } from '../registry.ts';

export interface Grant {
  group: string;
  resource: string;
  verb: string;
}

export interface RequiredRbac {
  /** the ClusterRole's grants, sorted */
  cluster: Grant[];
  /** per namespace, the Role's grants, sorted */
  namespaced: Record<string, Grant[]>;
}

export const READ_VERBS = ['get', 'list', 'watch'] as const;

function verbsOf(resource: string): readonly string[] {
  // logs are read with get only; list/watch on pods/log mean nothing to the API server
  return resource.endsWith('/log') ? ['get'] : READ_VERBS;
}

export const grantKey = (g: Grant): string => `${g.group}|${g.resource}|${g.verb}`;

function sorted(gs: Iterable<Grant>): Grant[] {
  const m = new Map<string, Grant>();
  for (const g of gs) m.set(grantKey(g), g);
  return [...m.values()].sort((a, b) => grantKey(a).localeCompare(grantKey(b)));
}

/** The grants every tool (and `extraReads`, e.g. the bundle's exported kinds) needs. */
export function requiredRbac(tools: readonly AnyTool[], extraReads: readonly ApiRead[] = []): RequiredRbac {
  const reads = [...tools.flatMap((t) => t.reads), ...extraReads];
  const cluster = sorted(
    reads.filter((r) => !r.namespace).flatMap((r) => verbsOf(r.resource).map((verb) => ({ group: r.group, resource: r.resource, verb }))),
  );
  const clusterKeys = new Set(cluster.map(grantKey));
  const byNs = new Map<string, Grant[]>();
  const add = (ns: string, g: Grant): void => {
    if (!byNs.has(ns)) byNs.set(ns, []);
    byNs.get(ns)!.push(g);
  };
  for (const r of reads.filter((x) => x.namespace))
    for (const verb of verbsOf(r.resource)) {
      const g = { group: r.group, resource: r.resource, verb };
      if (!clusterKeys.has(grantKey(g))) add(r.namespace!, g);
    }
  for (const t of tools) if (t.exec) add(t.exec, { group: '', resource: 'pods/exec', verb: 'create' });
  const namespaced: Record<string, Grant[]> = {};
  for (const [ns, gs] of [...byNs].sort(([a], [b]) => a.localeCompare(b))) namespaced[ns] = sorted(gs);
  return { cluster, namespaced };
}

/** The grants of RBAC rules as written in YAML (apiGroups x resources x verbs). */
export function grantsOf(rules: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[]): Grant[] {
  return sorted(
    rules.flatMap((r) =>
      r.apiGroups.flatMap((group) => r.resources.flatMap((resource) => r.verbs.map((verb) => ({ group, resource, verb })))),
    ),
  );
}
