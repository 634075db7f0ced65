/**
 * The offline bundle layout written by `netharness bundle` and served by `netharness mcp --bundle`.
 *
 *   manifest.json                       this Manifest
 *   objects/<Kind>.json                 [K8sObject...] per kind
 *   logs/<namespace>/<pod>/<container>.log
 *   nodes/<node>/nb.db, sb.db           OVSDB standalone files (ovsdb-client backup of the node's NB/SB)
 *   nodes/<node>/cmd/<n>.txt            stdout of a node-scoped read command (argv in the manifest)
 */
export const BUNDLE_VERSION = 1;

export interface CapturedCommand {
  argv: string[];
  container: string;
  file: string;
  exitCode: number;
  stderr: string;
}

export interface BundleNode {
  pod?: string;
  nbDb?: string;
  sbDb?: string;
  commands: CapturedCommand[];
}

export interface Manifest {
  version: number;
  tool: 'netharness';
  createdAt: string;
  source: string;
  kinds: { kind: string; apiVersion: string; file: string; count: number }[];
  /** previous: the log of the container's previous instance (`kubectl logs --previous`) */
  logs: { namespace: string; pod: string; container: string; file: string; bytes: number; previous?: boolean }[];
  nodes: Record<string, BundleNode>;
  /** Things that could not be collected, with the reason. */
  errors: string[];
  durationMs: number;
}

export const commandKey = (argv: readonly string[]): string => JSON.stringify(argv);
