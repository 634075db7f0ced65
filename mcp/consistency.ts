/**
 * The MCP target as a check's read-only source (harness/checks/types.ts ReadOnlySource): the harness's check
 * units run through it with their own collect (collectFrom) and pure evaluate, so MCP's check tools
 * (egressip_consistency_check, ...) give the verdict `netharness check <name>` gives. Every argv passes the
 * read-only guard before it runs, whatever the check asks for.
 */
import { getCheck, type AnyCheck } from '../harness/checks/registry.ts';
import { judge, parseCheckParams } from '../harness/checks/run.ts';
import type { CheckResult, ReadOnlySource, SourceObject } from '../harness/checks/types.ts';
import { InfraError } from '../harness/errors.ts';
import { assertReadOnlyArgv } from './argv-guard.ts';
import { ToolError, type Target } from './target.ts';

export function targetSource(t: Target): ReadOnlySource {
  return {
    where: t.description,
    list: (q) => t.list(q) as Promise<SourceObject[]>,
    nodes: () => t.nodes(),
    async nodeExec(node, container, argv, opts = {}) {
      const a = [...argv];
      assertReadOnlyArgv(a);
      const out = await t.nodeExec({ node, container, argv: a }, { timeoutMs: opts.timeoutMs });
      if (out.exitCode !== 0)
        throw new ToolError(`node ${node}: ${a[0]} ${a[1] ?? ''} (${container}) exited ${out.exitCode}: ${out.stderr.slice(0, 300)}`);
      return out.stdout;
    },
  };
}

/** Node reads a check through this server runs in parallel (each is one exec; a bound, so 500 nodes are not 500 websockets). */
const NODE_READS = 32;

/** Run a registered check through the target (its collectFrom, argv-guarded), evaluate and summarise it. */
export async function runCheckOnTarget(
  c: AnyCheck,
  target: Target,
  opts: { nodes?: string[]; timeoutMs?: number } = {},
): Promise<CheckResult> {
  if (!c.collectFrom) throw new ToolError(`check ${c.name} cannot run through this server (no read-only collect)`);
  const params = parseCheckParams(c, opts.nodes ? { nodes: opts.nodes } : {});
  const t0 = performance.now();
  let observed: never;
  try {
    // every node's read at once (up to NODE_READS): the check's answer waits for its slowest node, not for waves of 8
    observed = (await c.collectFrom(targetSource(target), params, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      concurrency: NODE_READS,
    })) as never;
  } catch (err) {
    if (err instanceof InfraError) throw new ToolError(err.message);
    throw err;
  }
  return judge(c, observed, params, t0);
}

/** The tool text of a result: the headline, the check's detail lines, one line per finding. */
export function checkResultText(c: AnyCheck, r: CheckResult): string {
  return [
    r.summary.headline,
    ...(c.mcp?.details?.(r.summary) ?? []),
    ...r.findings.map(
      (f) =>
        `${f.kind} node=${f.node ?? '-'} subject=${f.subject}${f.expected ? ` expected=${f.expected}` : ''}${f.actual ? ` actual=${f.actual}` : ''}: ${f.message}`,
    ),
  ].join('\n');
}

/** The tool's `format: json` document. */
export function checkResultJson(r: CheckResult): unknown {
  return { check: r.check, passed: r.passed, counts: r.summary.counts, findings: r.findings };
}

/** The EgressIP check through a target, as text and JSON (what egressip_consistency_check returns). */
export const egressIpConsistency = async (target: Target, opts: { nodes?: string[] }): Promise<{ text: string; json: unknown }> => {
  const c = getCheck('egressip');
  if (!c) throw new ToolError('the EgressIP check is not registered (harness/checks/registry.ts)');
  const r = await runCheckOnTarget(c, target, opts);
  return { text: checkResultText(c, r), json: checkResultJson(r) };
};
