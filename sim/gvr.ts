/**
 * The resources the sim's in-process parts read and write through ctx.store, in one table
 * (the API server's full registry is sim/api/resources.ts).
 */
import type { GroupVersionResource } from './types.ts';

export const GVR = {
  pods: { group: '', version: 'v1', resource: 'pods' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  services: { group: '', version: 'v1', resource: 'services' },
  events: { group: '', version: 'v1', resource: 'events' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  egressips: { group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' },
} satisfies Record<string, GroupVersionResource>;
