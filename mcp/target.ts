/**
 * What the tools run against: a live cluster (kubeconfig) or an offline bundle. Tools only see
 * this interface, so every tool works the same on both.
 */
import { OVN_NAMESPACE } from '../harness/constants.ts';

export interface K8sMetadata {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string | Date;
  ownerReferences?: { kind?: string; name?: string }[];
  managedFields?: unknown;
  resourceVersion?: string;
  [k: string]: unknown;
}

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: K8sMetadata;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface ListQuery {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** One page of a list (ListQuery + the apiserver's limit/continue), for tools that show only what fits their budget. */
export interface ListPageQuery extends ListQuery {
  limit?: number;
  continue?: string;
  /** metadata only (PartialObjectMetadataList): names, labels, timestamps, no spec/status */
  metadataOnly?: boolean;
}

export interface ListPage {
  items: K8sObject[];
  /** set when more items follow */
  continue?: string;
  /** how many items follow (the apiserver omits it when a selector filters the list) */
  remainingItemCount?: number;
}

export interface LogQuery {
  namespace: string;
  pod: string;
  container?: string;
  sinceSeconds?: number;
  tailLines?: number;
  previous?: boolean;
}

export interface NodeCommand {
  node: string;
  /** Container of the node's ovnkube-node pod (nbdb, sbdb, ovn-controller, ovnkube-controller, ...). */
  container: string;
  argv: string[];
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Where it ran, for the result header (pod/container, or "bundle"). */
  where: string;
}

export interface Target {
  /** "live <server>" or "bundle <dir>". */
  readonly description: string;
  readonly mode: 'live' | 'bundle';
  list(q: ListQuery): Promise<K8sObject[]>;
  /** A page of a list, when the target can page server-side (the live target); tools fall back to list(). */
  listPage?(q: ListPageQuery): Promise<ListPage>;
  /** How many items a list continuation still holds (counted over metadata-only pages). */
  countRest?(q: ListQuery, cont: string): Promise<number>;
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<K8sObject | undefined>;
  logs(q: LogQuery): Promise<string>;
  /** Runs an allow-listed argv (already checked) in the node's ovnkube-node pod. */
  nodeExec(cmd: NodeCommand, opts?: { timeoutMs?: number }): Promise<CommandOutput>;
  /** Node names known to the target (for error messages and bundles). */
  nodes(): Promise<string[]>;
  close(): Promise<void>;
}

/** Where the ovnkube-node pods live. */
/** ovnkube-node's namespace (harness/constants.ts OVN_NAMESPACE) */
export const OVNK_NAMESPACE = OVN_NAMESPACE;
export const OVNK_NODE_SELECTOR = 'app=ovnkube-node';

/** A tool-level failure the model should see as a clear message (isError result), not a crash. */
export class ToolError extends Error {
  override name = 'ToolError';
}
