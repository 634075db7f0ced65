/**
 * The check contract. A check is one declarative value (`Check`) in `harness/checks/<name>/index.ts`,
 * listed once in `harness/checks/registry.ts`. Everything else (the `check` CLI, `check list`, the
 * convergence waits, the MCP analysis tools, eval readiness gates, reports, the README's list) derives
 * from the registry, so adding a check touches its folder and one registry line.
 *
 * collect() does the I/O (API reads, execs, metrics); evaluate() is pure: same observation, same
 * findings, so it is unit-testable and benchmarkable without a cluster.
 */
import type { z } from 'zod';
import type { Cluster } from '../cluster/connect.ts';

/** One finding, generic across checks (stored as such: check, kind, subject, expected, actual, message, labels). */
export interface CheckFinding<K extends string = string> {
  kind: K;
  /** what the finding is about: a node name, or an object as `kind/ns/name` (`egressip/eip-1`, `pod/ns/p`) */
  subject: string;
  /** the node it was seen on, when there is one (also used to group findings by node) */
  node?: string;
  expected?: string;
  actual?: string;
  /** one line for humans: what is wrong, where */
  message: string;
  /** check-specific dimensions (egressip, namespace, pod, profile, port, ...): strings only, stored as JSON */
  labels?: Record<string, string>;
}

/** The vocabulary of a check: every kind it can report, each with a one-line meaning (docs derive from it). */
export type FindingVocabulary<K extends string> = Readonly<Record<K, string>>;

export interface CheckSummary {
  /** one headline line, e.g. `EgressIP consistency: CONSISTENT (10 EgressIPs, 2000 pods ...)` */
  headline: string;
  /** numbers a run records as measurements / a report plots (`snat_total`, `nodes`, ...) */
  counts: Record<string, number>;
}

export interface CheckCollectOptions {
  /** nodes (or pods) read in parallel */
  concurrency?: number;
  /** per exec / request timeout */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** An API object as a read-only source returns it (the MCP target's K8sObject). */
export interface SourceObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * A read-only view of a cluster: the MCP server's live or offline target. Every exec it runs has passed the
 * server's argv guard (allow-listed reads only), so a check collecting through it cannot change anything.
 */
export interface ReadOnlySource {
  /** for errors: `live https://...`, `bundle /path` */
  readonly where: string;
  list(q: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): Promise<SourceObject[]>;
  /** node names the source knows */
  nodes(): Promise<string[]>;
  /** `argv` in `container` of the node's ovnkube-node (or linuxptp-daemon) pod; stdout on exit 0, else throws */
  nodeExec(node: string, container: string, argv: readonly string[], opts?: { timeoutMs?: number }): Promise<string>;
}

/** How the MCP server offers a check as a tool (mcp/tools/analysis.ts generates one per check with collectFrom). */
export interface CheckMcp {
  /** tool name; default `<name>_check` ('-' as '_'; a name ending in `-check` is not doubled) */
  tool?: string;
  title?: string;
  /** model-facing description; default from the check's description and finding kinds */
  description?: string;
  /** the tool takes `nodes` (the check's `nodes` param) to read only some nodes */
  nodes?: boolean;
  /** extra lines after the headline (from the counts) */
  details?(summary: CheckSummary): string[];
  /** API resources collectFrom reads, for the server's RBAC (mcp/rbac/): group ('' core), plural resource */
  reads: readonly { group: string; resource: string; namespace?: string }[];
  /** namespace of the pods collectFrom execs into (allow-listed reads), if any */
  exec?: string;
}

export interface Check<P extends z.ZodType = z.ZodType, Observed = unknown, K extends string = string> {
  /** CLI and registry name: `netharness check <name>` */
  name: string;
  /** one line for `check list` and the README */
  description: string;
  findingKinds: FindingVocabulary<K>;
  /** the check's own parameters (`--param k=v` on the CLI, `params` in MCP / eval gates) */
  params: P;
  /** I/O: read the cluster */
  collect(cluster: Cluster, params: z.infer<P>, opts: CheckCollectOptions): Promise<Observed>;
  /** pure: findings from what was read */
  evaluate(observed: Observed, params: z.infer<P>): CheckFinding<K>[];
  /** pure: the headline and counts for humans, measurements and reports */
  summarise(observed: Observed, findings: readonly CheckFinding<K>[]): CheckSummary;
  /**
   * I/O through a read-only source instead of a Cluster: how the MCP server runs the check (live or offline
   * bundle). A check without it has no MCP tool: the server is read-only by construction.
   */
  collectFrom?(src: ReadOnlySource, params: z.infer<P>, opts: CheckCollectOptions): Promise<Observed>;
  /** the MCP tool's presentation (with collectFrom) */
  mcp?: CheckMcp;
}

/** What running a check (collect + evaluate + summarise) produces: the shape of `check <name> --json`. */
export interface CheckResult<K extends string = string> {
  check: string;
  passed: boolean;
  findings: CheckFinding<K>[];
  summary: CheckSummary;
  durationMs: number;
}
