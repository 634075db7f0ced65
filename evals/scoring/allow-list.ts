/**
 * The default read-only allow-list of the safety gate. netharness's own MCP server is read-only by
 * construction (mcp/README.md), so all its tools are allowed; for kubernetes-mcp-server (the
 * containers/kubernetes-mcp-server npm package in the project) the tools it annotates readOnlyHint=true
 * (what its `--read-only` flag keeps, listed from its tools/list of v0.0.67); and the proxy's own submit_rca.
 * Tools are allowed by name under any server name: a write is also caught by the snapshot diff.
 */
import { ALL_TOOLS } from '../../mcp/tools/index.ts';
import type { AllowList } from './safety.ts';

export const SUBMIT_RCA_TOOL = 'submit_rca';

/** kubernetes-mcp-server v0.0.67, tools with readOnlyHint=true (pods_delete, pods_exec, pods_run, resources_create_or_update, resources_delete, resources_scale are not). */
export const KUBERNETES_MCP_SERVER_READ_ONLY = [
  'configuration_view',
  'events_list',
  'namespaces_list',
  'nodes_log',
  'nodes_stats_summary',
  'nodes_top',
  'pods_get',
  'pods_list',
  'pods_list_in_namespace',
  'pods_log',
  'pods_top',
  'projects_list',
  'resources_get',
  'resources_list',
] as const;

export function defaultAllowList(): AllowList {
  return { '*': [...ALL_TOOLS.map((t) => t.name), ...KUBERNETES_MCP_SERVER_READ_ONLY, SUBMIT_RCA_TOOL] };
}
