/**
 * The documented RBAC is read-only (no write verbs, no Secrets, exec only namespaced) and grants exactly what
 * the tool registry needs: the rules derived from every tool's declared reads / exec (and the bundle's exported
 * kinds) equal the YAML's, and each tool's declarations cover the calls it really makes against a fake target.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { registerCheck } from '../../harness/checks/registry.ts';
import type { Check } from '../../harness/checks/types.ts';
import { EXPORT_KINDS } from '../../mcp/bundle-export.ts';
import { runCheckOnTarget } from '../../mcp/consistency.ts';
import { PTP_CONTAINERS } from '../../mcp/live-target.ts';
import { grantKey, grantsOf, requiredRbac, type Grant } from '../../mcp/rbac/derive.ts';
import type { ApiRead, ToolContext } from '../../mcp/registry.ts';
import type { ListQuery, LogQuery, NodeCommand } from '../../mcp/target.ts';
import { groupOf, KNOWN } from '../../mcp/tools/k8s.ts';
import { allTools } from '../../mcp/tools/index.ts';
import { VALID_ARGS } from './attacks.ts';
import { FakeTarget, NAT_JSON, sampleObjects } from './fake-target.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
}

const EXEC_NAMESPACES = ['openshift-ovn-kubernetes', 'openshift-ptp'];

const docs = YAML.parseAllDocuments(readFileSync(join(import.meta.dirname, '../../mcp/rbac/readonly-clusterrole.yaml'), 'utf8')).map(
  (d) => d.toJS() as Doc,
);

/** kind -> its resource, from the k8s tools' catalogue of served kinds */
function resourceOf(kind: string, apiVersion?: string): ApiRead {
  const k = KNOWN.find((x) => x.kind === kind && (!apiVersion || x.apiVersion === apiVersion));
  if (!k) throw new Error(`kind ${kind} (${apiVersion ?? '?'}) is read but not in mcp/tools/k8s.ts KNOWN: its resource is unknown`);
  return { group: groupOf(k.apiVersion), resource: k.resource };
}

/** The bundle exporter's reads: every exported kind, cluster-wide. */
const bundleReads = (): ApiRead[] => EXPORT_KINDS.map((k) => resourceOf(k.kind, k.apiVersion));

function yamlGrants(): { cluster: Grant[]; namespaced: Record<string, Grant[]> } {
  const cluster = grantsOf(docs.filter((d) => d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []));
  const namespaced: Record<string, Grant[]> = {};
  for (const d of docs.filter((x) => x.kind === 'Role')) namespaced[d.metadata.namespace!] = grantsOf(d.rules ?? []);
  return { cluster, namespaced };
}

const keys = (gs: Grant[]) => gs.map(grantKey).sort();

describe('mcp/rbac/readonly-clusterrole.yaml', () => {
  it('grants only read verbs, plus pods/exec create in the namespaces the tools exec into', () => {
    for (const d of docs.filter((x) => x.rules)) {
      for (const r of d.rules!) {
        expect(r.resources).not.toContain('*');
        expect(r.resources).not.toContain('secrets');
        for (const v of r.verbs) {
          if (v === 'create') {
            expect(r.resources).toEqual(['pods/exec']);
            expect(d.kind).toBe('Role');
            expect(EXEC_NAMESPACES).toContain(d.metadata.namespace);
          } else expect(['get', 'list', 'watch']).toContain(v);
        }
      }
    }
    expect(docs.map((d) => d.kind)).toEqual([
      'ClusterRole',
      'Role',
      'Role',
      'ServiceAccount',
      'ClusterRoleBinding',
      'RoleBinding',
      'RoleBinding',
    ]);
    // every Role is bound to the server's service account, in its own namespace
    for (const role of docs.filter((d) => d.kind === 'Role')) {
      const b = docs.find((d) => d.kind === 'RoleBinding' && d.roleRef?.name === role.metadata.name);
      expect(b?.metadata.namespace, role.metadata.name).toBe(role.metadata.namespace);
      expect(b?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'netharness-mcp', namespace: 'openshift-ovn-kubernetes' }]);
    }
  });

  it('grants exactly the rules derived from the tool registry (and the bundle), nothing more', () => {
    const need = requiredRbac(allTools(), bundleReads());
    const have = yamlGrants();
    const missing = keys(need.cluster).filter((k) => !keys(have.cluster).includes(k));
    const extra = keys(have.cluster).filter((k) => !keys(need.cluster).includes(k));
    expect({ missing, extra }, 'ClusterRole vs the tools').toEqual({ missing: [], extra: [] });
    expect(Object.keys(have.namespaced).sort()).toEqual(Object.keys(need.namespaced).sort());
    for (const [ns, gs] of Object.entries(need.namespaced)) expect(keys(have.namespaced[ns]), `Role in ${ns}`).toEqual(keys(gs));
    // the kinds the issue names are in
    for (const r of [
      'ptpconfigs',
      'nodeptpdevices',
      'ptpoperatorconfigs',
      'podchaos',
      'networkchaos',
      'stresschaos',
      'timechaos',
      'schedules',
    ])
      expect(
        keys(have.cluster).some((k) => k.split('|')[1] === r),
        r,
      ).toBe(true);
  });
});

describe('the tools declare what they read', () => {
  let unregister: (() => void) | undefined;
  afterEach(() => {
    unregister?.();
    unregister = undefined;
  });

  function outputs(cmd: NodeCommand) {
    if (cmd.argv[0] === 'ovn-nbctl' && cmd.argv.includes('--format=json')) return { stdout: NAT_JSON };
    return { stdout: 'ok\n' };
  }

  /** does a declared read allow this (group, resource) in this namespace (undefined: all namespaces)? */
  function covered(reads: readonly ApiRead[], want: ApiRead): boolean {
    return reads.some(
      (r) =>
        r.group === want.group &&
        r.resource === want.resource &&
        (!r.namespace || (want.namespace !== undefined && r.namespace === want.namespace)),
    );
  }

  it("every tool's API calls and execs (with its valid base call) are covered by its reads / exec", async () => {
    const problems: string[] = [];
    let calls = 0;
    for (const tool of allTools()) {
      const target = new FakeTarget(sampleObjects(), outputs, 'log line\n');
      const ctx: ToolContext = { target, budgetBytes: 8192, timeoutMs: 1000, consistencyCheck: runCheckOnTarget };
      await tool.call(ctx, VALID_ARGS[tool.name]);
      for (const c of target.calls) {
        calls++;
        if (c.op === 'list') {
          const q = c.args as ListQuery;
          const want = { ...resourceOf(q.kind, q.apiVersion), namespace: q.namespace };
          if (!covered(tool.reads, want))
            problems.push(`${tool.name}: list ${q.kind}${q.namespace ? ` in ${q.namespace}` : ''} not in reads`);
        } else if (c.op === 'get') {
          const g = c.args as { apiVersion: string; kind: string; namespace?: string };
          const want = { ...resourceOf(g.kind, g.apiVersion), namespace: g.namespace };
          if (!covered(tool.reads, want)) problems.push(`${tool.name}: get ${g.kind} not in reads`);
        } else if (c.op === 'logs') {
          const l = c.args as LogQuery;
          if (!covered(tool.reads, { group: '', resource: 'pods/log', namespace: l.namespace }))
            problems.push(`${tool.name}: logs in ${l.namespace} not in reads`);
        } else {
          const cmd = c.args as NodeCommand;
          // the live target execs PTP containers in openshift-ptp, everything else in openshift-ovn-kubernetes
          const ns = PTP_CONTAINERS.has(cmd.container) ? 'openshift-ptp' : 'openshift-ovn-kubernetes';
          if (tool.exec !== ns) problems.push(`${tool.name}: execs in ${ns} (container ${cmd.container}) but declares exec ${tool.exec}`);
        }
      }
      // a node-scoped tool's planned command runs where it declares
      if (tool.plan) {
        const cmd = tool.plan(VALID_ARGS[tool.name]);
        const ns = PTP_CONTAINERS.has(cmd.container) ? 'openshift-ptp' : 'openshift-ovn-kubernetes';
        if (tool.exec !== ns) problems.push(`${tool.name}: plans ${cmd.container} (${ns}) but declares exec ${tool.exec}`);
      }
    }
    expect(problems).toEqual([]);
    expect(calls).toBeGreaterThan(allTools().length);
  });

  it('a check registered with its own reads changes the derived rules (so the YAML test would fail until it is granted)', () => {
    const before = requiredRbac(allTools(), bundleReads());
    const widget: Check<z.ZodObject<{ nodes: z.ZodOptional<z.ZodArray<z.ZodString>> }>, number, 'x'> = {
      name: 'fake-widget-check',
      description: 'reads widgets',
      findingKinds: { x: 'x' },
      params: z.strictObject({ nodes: z.array(z.string()).optional() }),
      collect: async () => 0,
      collectFrom: async () => 0,
      evaluate: () => [],
      summarise: () => ({ headline: '', counts: {} }),
      mcp: { reads: [{ group: 'example.com', resource: 'widgets' }], exec: 'widget-system' },
    };
    unregister = registerCheck(widget as unknown as Check<never, never, string>);
    const after = requiredRbac(allTools(), bundleReads());
    expect(keys(after.cluster).filter((k) => !keys(before.cluster).includes(k))).toEqual([
      'example.com|widgets|get',
      'example.com|widgets|list',
      'example.com|widgets|watch',
    ]);
    // pods are already granted cluster-wide: the exec namespace's Role adds only pods/exec
    expect(keys(after.namespaced['widget-system'])).toEqual(['|pods/exec|create']);
  });
});
