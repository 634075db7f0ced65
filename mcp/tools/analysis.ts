/**
 * Analysis tools: summaries computed by this server from several reads (EgressIP objects, nodes and selected
 * pods), and one tool per registered harness check that can collect through a read-only source
 * (harness/checks/registry.ts; `egressip_consistency_check` is the EgressIP unit): generated from the registry
 * when the tool list is built, so a check added there (a test's fake too) is a tool without touching this file.
 */
import * as z from 'zod';
import { defineTool, pageOpts, type AnyTool } from '../registry.ts';
import { pageText } from '../output.ts';
import { k8sName, outputShape } from '../validate.ts';
import type { K8sObject } from '../target.ts';
import { matchLabelSelector, type LabelSelector } from '../../harness/k8s/label-selector.ts';
import { listChecks, type AnyCheck } from '../../harness/checks/registry.ts';
import { checkResultJson, checkResultText } from '../consistency.ts';

function podServed(p: K8sObject): boolean {
  const phase = p.status?.phase;
  return !p.spec?.hostNetwork && phase !== 'Succeeded' && phase !== 'Failed' && Boolean(p.status?.podIP) && !p.metadata?.deletionTimestamp;
}

export function egressIpSummary(eips: K8sObject[], nodes: K8sObject[], namespaces: K8sObject[], pods: K8sObject[]): string {
  const nodeByName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
  const lines: string[] = [];
  const assignable = nodes.filter((n) => n.metadata?.labels?.['k8s.ovn.org/egress-assignable'] !== undefined).map((n) => n.metadata?.name);
  lines.push(
    `${eips.length} EgressIP(s); egress-assignable nodes: ${assignable.join(', ') || 'none (label k8s.ovn.org/egress-assignable missing on all nodes)'}`,
  );
  for (const e of eips.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
    const spec = (e.spec ?? {}) as { egressIPs?: string[]; namespaceSelector?: LabelSelector; podSelector?: LabelSelector };
    const items = ((e.status?.items as { node?: string; egressIP?: string }[] | undefined) ?? []).filter((i) => i.node && i.egressIP);
    const nsSel = new Set(
      namespaces
        .filter((n) => spec.namespaceSelector && matchLabelSelector(spec.namespaceSelector, n.metadata?.labels))
        .map((n) => n.metadata?.name),
    );
    const selected = pods.filter((p) => nsSel.has(p.metadata?.namespace) && matchLabelSelector(spec.podSelector, p.metadata?.labels));
    const served = selected.filter(podServed);
    const perNode = new Map<string, number>();
    for (const p of served) perNode.set(String(p.spec?.nodeName ?? '?'), (perNode.get(String(p.spec?.nodeName ?? '?')) ?? 0) + 1);
    lines.push(
      '',
      `EgressIP ${e.metadata?.name}: spec.egressIPs=${JSON.stringify(spec.egressIPs ?? [])} namespaceSelector=${JSON.stringify(spec.namespaceSelector ?? {})} podSelector=${JSON.stringify(spec.podSelector ?? {})}`,
    );
    for (const i of items) {
      const n = nodeByName.get(i.node ?? '');
      const ready = n
        ? (((n.status?.conditions as { type?: string; status?: string }[] | undefined) ?? []).find((c) => c.type === 'Ready')?.status ??
          '?')
        : 'node not found';
      const eligible = n?.metadata?.labels?.['k8s.ovn.org/egress-assignable'] !== undefined;
      lines.push(`  assigned ${i.egressIP} -> ${i.node} (Ready=${ready}${eligible ? '' : ', NOT egress-assignable'})`);
    }
    const unassigned = (spec.egressIPs ?? []).filter((ip) => !items.some((i) => i.egressIP === ip));
    if (unassigned.length) lines.push(`  NOT assigned: ${unassigned.join(', ')}`);
    lines.push(
      `  selected pods: ${selected.length} (${served.length} served: running, pod network, with IP)${perNode.size ? `; by node: ${[...perNode].map(([n, c]) => `${n}=${c}`).join(', ')}` : ''}`,
    );
    if (items.length && served.length) {
      lines.push(
        `  expect in OVN: ${served.length} SNAT row(s) on GR_<egress node> in EACH egress node's NB DB (${items.map((i) => i.node).join(', ')}), and one priority-100 reroute policy per served pod on ovn_cluster_router in the pod's node NB DB, each with ${items.length} nexthop(s)`,
      );
      lines.push(
        `  check with: ovn_db_list {node:"${items[0].node}", db:"nb", table:"NAT", conditions:["type=snat"], grep:"${items[0].egressIP?.replace(/\./g, '\\\\.')}"} and ovn_lr_policy_list {node:"<pod node>", grep:"^ *100 "}`,
      );
    }
  }
  return lines.join('\n');
}

const egressipStatus = defineTool({
  name: 'egressip_status',
  toolset: 'analysis',
  title: 'EgressIP objects and assignment summary',
  description:
    'Summary of every EgressIP (or one): its egress IPs, which node each is assigned to (status.items) and whether that node is Ready and labelled k8s.ovn.org/egress-assignable, unassigned IPs, how many pods its selectors pick and on which nodes, and the OVN rows to expect (SNATs on GR_<egress node> in the egress node\'s NB DB; priority-100 reroute policies on ovn_cluster_router in each pod node\'s NB DB). Start here for any EgressIP problem. Example: {} or {name:"egressip-prod"}.',
  shape: { name: k8sName().optional().describe('Only this EgressIP.'), ...outputShape },
  reads: [
    { group: 'k8s.ovn.org', resource: 'egressips' },
    { group: '', resource: 'nodes' },
    { group: '', resource: 'namespaces' },
    { group: '', resource: 'pods' },
  ],
  async run(ctx, a) {
    const t = ctx.target;
    const [eips, nodes, namespaces, pods] = await Promise.all([
      t.list({ apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP' }).catch(() => [] as K8sObject[]),
      t.list({ apiVersion: 'v1', kind: 'Node' }),
      t.list({ apiVersion: 'v1', kind: 'Namespace' }),
      t.list({ apiVersion: 'v1', kind: 'Pod' }),
    ]);
    const chosen = a.name ? eips.filter((e) => e.metadata?.name === a.name) : eips;
    if (a.name && chosen.length === 0)
      return { text: `EgressIP ${a.name} not found (have: ${eips.map((e) => e.metadata?.name).join(', ') || 'none'})`, isError: true };
    const text =
      a.format === 'json'
        ? JSON.stringify({ egressIPs: chosen.map((e) => ({ name: e.metadata?.name, spec: e.spec, status: e.status })) }, null, 1)
        : egressIpSummary(chosen, nodes, namespaces, pods);
    return { text: pageText(text, pageOpts(ctx, a)).text };
  },
});

/** The MCP tool name of a check: its `mcp.tool`, else `<name>_check` with '-' as '_' (no double `_check`). */
export function checkToolName(c: AnyCheck): string {
  if (c.mcp?.tool) return c.mcp.tool;
  const base = c.name.replace(/-/g, '_');
  return base.endsWith('_check') ? base : `${base}_check`;
}

/** One check as a tool: its collectFrom through the target (argv-guarded), its evaluate and summarise. */
export function checkTool(c: AnyCheck): AnyTool {
  const m = c.mcp;
  if (!c.collectFrom || !m) throw new Error(`check ${c.name} has no collectFrom / mcp: it cannot be an MCP tool`);
  const kinds = Object.keys(c.findingKinds).join(', ');
  return defineTool({
    name: checkToolName(c),
    toolset: 'analysis',
    title: m.title ?? `Run the harness check '${c.name}'`,
    description:
      m.description ??
      `Runs the harness check '${c.name}' against the cluster (the verdict \`netharness check ${c.name}\` gives): ${c.description}. Lists each finding with its kind (${kinds}), node, subject, expected and actual. Example: {}.`,
    shape: {
      ...(m.nodes ? { nodes: z.array(k8sName('nodes')).max(500).optional().describe("Only read these nodes' state (default all).") } : {}),
      ...outputShape,
    },
    reads: m.reads,
    exec: m.exec,
    async run(ctx, a) {
      const args = a as { nodes?: string[]; format?: 'text' | 'json' };
      if (!ctx.consistencyCheck)
        return {
          text: `${checkToolName(c)} is not available on this server: it was started without the harness check runner. Use the read tools instead (for EgressIP: egressip_status, then ovn_db_list table NAT conditions ["type=snat"] and ovn_lr_policy_list on the nodes).`,
          isError: true,
        };
      const r = await ctx.consistencyCheck(c, ctx.target, { nodes: args.nodes, timeoutMs: ctx.timeoutMs });
      const text = args.format === 'json' ? JSON.stringify(checkResultJson(r), null, 1) : checkResultText(c, r);
      return { text: pageText(text, pageOpts(ctx, a)).text };
    },
  });
}

/** The analysis tools: egressip_status, then one tool per registered check with a read-only collect (now). */
export function analysisTools(): AnyTool[] {
  return [
    egressipStatus,
    ...listChecks()
      .filter((c) => c.collectFrom && c.mcp)
      .map(checkTool),
  ];
}
