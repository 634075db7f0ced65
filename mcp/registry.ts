/**
 * Tool registry: every tool is a name, a toolset, a model-facing description, a zod input shape
 * (strict: unknown keys are rejected), what it reads from the API (`reads`, `exec`: the RBAC in mcp/rbac/
 * derives from them) and a run function against a Target. Node-scoped tools also expose `plan`, the pure
 * argv builder, so the adversarial suite can check argv without a cluster.
 */
import * as z from 'zod';
import type { NodeCommand, Target, CommandOutput } from './target.ts';
import { OVNK_NAMESPACE, ToolError } from './target.ts';
import { assertReadOnlyArgv, ArgvRejected } from './argv-guard.ts';
import { pageText, type OutputControls, type PageOptions } from './output.ts';
import type { AnyCheck } from '../harness/checks/registry.ts';
import type { CheckResult } from '../harness/checks/types.ts';

export const TOOLSETS = ['k8s', 'ovn', 'ovs', 'kernel', 'analysis', 'ptp', 'harness'] as const;
export type Toolset = (typeof TOOLSETS)[number];

/**
 * Runs a registered harness check through the target (mcp/consistency.ts runCheckOnTarget): the server's
 * capability to run checks. The check tools (mcp/tools/analysis.ts) say "not available" without it. (The name
 * predates checks as units, when only the EgressIP check ran here.)
 */
export type ConsistencyCheck = (check: AnyCheck, target: Target, opts: { nodes?: string[]; timeoutMs?: number }) => Promise<CheckResult>;

export interface ToolContext {
  target: Target;
  budgetBytes: number;
  timeoutMs: number;
  /** runs harness checks (see ConsistencyCheck); absent: the check tools are not available */
  consistencyCheck?: ConsistencyCheck;
}

/**
 * One API read of a tool: get/list/watch on a resource (`pods/log`: get), cluster-wide unless `namespace`.
 * `group` is the API group ('' for core), `resource` the plural (`egressips`, `network-attachment-definitions`).
 */
export interface ApiRead {
  group: string;
  resource: string;
  namespace?: string;
}

/** Where the node-scoped tools exec (the live target picks the pod by container: mcp/live-target.ts). */
export const OVNK_EXEC_NAMESPACE = OVNK_NAMESPACE;

/** Finding a node's pod to exec into lists the pods there (and the nodes, for the error message). */
export function execReads(namespace: string): ApiRead[] {
  return [
    { group: '', resource: 'pods', namespace },
    { group: '', resource: 'nodes' },
  ];
}

export interface ToolResult {
  text: string;
  isError?: boolean;
}

export interface ToolDef<S extends z.ZodRawShape> {
  name: string;
  toolset: Toolset;
  title: string;
  description: string;
  shape: S;
  /** API resources the tool reads (besides what `exec` implies). */
  reads?: readonly ApiRead[];
  /** namespace of the pods the tool execs allow-listed reads into; node-scoped tools (with plan) default to openshift-ovn-kubernetes */
  exec?: string;
  /** Pure argv builder for node-scoped tools. */
  plan?: (args: z.output<z.ZodObject<S>>) => NodeCommand;
  run: (ctx: ToolContext, args: z.output<z.ZodObject<S>>) => Promise<ToolResult>;
}

export type ParseResult = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

export interface AnyTool {
  name: string;
  toolset: Toolset;
  title: string;
  description: string;
  shape: z.ZodRawShape;
  schema: z.ZodObject<z.ZodRawShape>;
  /** every API read the tool can make, `exec`'s pod lookup included (mcp/rbac/ derives the ClusterRole from these) */
  reads: readonly ApiRead[];
  /** namespace it execs into (pods/exec), if any */
  exec?: string;
  parse(raw: unknown): ParseResult;
  /** Validated argv for node-scoped tools (throws on invalid input); undefined for API tools. */
  plan?: (raw: unknown) => NodeCommand;
  call(ctx: ToolContext, raw: unknown): Promise<ToolResult>;
}

export function formatZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.length ? `${i.path.join('.')}: ` : '';
      const msg = i.message.replace(new RegExp(`^${i.path.join('.')}: `), '');
      return `${path}${msg}`;
    })
    .join('; ');
}

export function defineTool<S extends z.ZodRawShape>(def: ToolDef<S>): AnyTool {
  const schema = z.strictObject(def.shape);
  const parse = (raw: unknown): ParseResult => {
    const r = schema.safeParse(raw ?? {});
    return r.success ? { ok: true, args: r.data as Record<string, unknown> } : { ok: false, error: formatZodError(r.error) };
  };
  const exec = def.exec ?? (def.plan ? OVNK_EXEC_NAMESPACE : undefined);
  const tool: AnyTool = {
    name: def.name,
    toolset: def.toolset,
    title: def.title,
    description: def.description,
    shape: def.shape,
    schema: schema as unknown as z.ZodObject<z.ZodRawShape>,
    reads: [...(def.reads ?? []), ...(exec ? execReads(exec) : [])],
    ...(exec ? { exec } : {}),
    parse,
    async call(ctx, raw) {
      const r = schema.safeParse(raw ?? {});
      if (!r.success) return { text: `invalid arguments for ${def.name}: ${formatZodError(r.error)}`, isError: true };
      try {
        return await def.run(ctx, r.data);
      } catch (err) {
        if (err instanceof ToolError || err instanceof ArgvRejected) return { text: err.message, isError: true };
        return { text: `${def.name} failed: ${(err as Error).message ?? String(err)}`, isError: true };
      }
    },
  };
  if (def.plan) {
    const plan = def.plan;
    tool.plan = (raw) => {
      const r = schema.safeParse(raw ?? {});
      if (!r.success) throw new ToolError(formatZodError(r.error));
      const cmd = plan(r.data);
      assertReadOnlyArgv(cmd.argv);
      return cmd;
    };
  }
  return tool;
}

const MISSING_BINARY = /executable file not found|command not found|no such file or directory|not found in \$PATH|exec: "[^"]*": /i;

/** Runs a planned node command through the argv guard and turns failures into clear messages. */
export async function runNodeCommand(ctx: ToolContext, cmd: NodeCommand): Promise<CommandOutput> {
  assertReadOnlyArgv(cmd.argv);
  let out: CommandOutput;
  try {
    out = await ctx.target.nodeExec(cmd, { timeoutMs: ctx.timeoutMs });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (MISSING_BINARY.test(msg)) throw new ToolError(missingBinaryMessage(cmd, msg));
    if (err instanceof ToolError) throw err;
    throw new ToolError(`could not run ${cmd.argv[0]} on node ${cmd.node} (container ${cmd.container}): ${msg}`);
  }
  if (
    out.exitCode === 127 ||
    out.exitCode === 126 ||
    (out.exitCode !== 0 &&
      out.stdout === '' &&
      MISSING_BINARY.test(out.stderr) &&
      !/ovsdb|ovn|database|socket|table|row|record/i.test(out.stderr))
  ) {
    throw new ToolError(missingBinaryMessage(cmd, out.stderr.trim()));
  }
  if (out.exitCode !== 0) {
    const err = out.stderr.trim().slice(0, 1500) || out.stdout.trim().slice(0, 1500);
    throw new ToolError(`${cmd.argv.join(' ')} on node ${cmd.node} (${out.where}) exited with code ${out.exitCode}: ${err}`);
  }
  return out;
}

function missingBinaryMessage(cmd: NodeCommand, detail: string): string {
  return `${cmd.argv[0]} is not available in container ${cmd.container} on node ${cmd.node}, so this tool cannot run there (${detail.slice(0, 300)}). Use another layer's tools for this node.`;
}

export function header(cmd: NodeCommand, out: CommandOutput): string {
  return `# ${cmd.argv.join(' ')}  [node ${cmd.node}, ${out.where}]`;
}

export function pageOpts(ctx: ToolContext, a: OutputControls, extra: Partial<PageOptions> = {}): PageOptions {
  return {
    budgetBytes: ctx.budgetBytes,
    grep: a.grep,
    grep_invert: a.grep_invert,
    offset: a.offset,
    limit: a.limit,
    format: a.format,
    ...extra,
  };
}

/** The usual node tool: plan argv, run it, page the text output. */
export function nodeTextTool<S extends z.ZodRawShape>(
  def: Omit<ToolDef<S>, 'run'> & { plan: NonNullable<ToolDef<S>['plan']>; hints?: string[]; unit?: string },
): AnyTool {
  return defineTool<S>({
    ...def,
    async run(ctx, args) {
      const cmd = def.plan(args);
      const out = await runNodeCommand(ctx, cmd);
      const page = pageText(out.stdout, pageOpts(ctx, args as OutputControls, { hints: def.hints, unit: def.unit }));
      return { text: `${header(cmd, out)}\n${page.text}` };
    },
  });
}
