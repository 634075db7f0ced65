/**
 * sim/ovn: real OVN/OVS per sim node. Entry points for the rest of sim/:
 *
 * - ovnPart: the { name: 'ovn', start } sim part (starts OvnCluster, registers ctx.services.ovnExec
 *   and ctx.services.ovnLifecycle, follows ovnkube-node pods and reboot annotations).
 * - getOvnCluster(ctx) / getOvnNode(ctx, name): per-node nbSocket, sbSocket, nbClient(), exec().
 * - dumpNb(node, tables): JSON dump of NB tables.
 * - OvsdbClient and OVSDB value helpers (./ovsdb-client.ts).
 */
import type { SimContext, Stoppable } from '../types.ts';
import { OvnCluster } from './cluster.ts';
import type { OvnNode } from './node.ts';
import type { OvsdbRow } from './ovsdb-client.ts';

export {
  OvnCluster,
  getOvnCluster,
  getOvnNode,
  clusterIdFor,
  netnsName,
  runRootFor,
  reapOrphans,
  OVN_STATE_FILE,
  OWNER_FILE,
} from './cluster.ts';
export type { OvnClusterOptions, OvnStateFile } from './cluster.ts';
export { OvnNode, NB_DB, SB_DB, OVS_DB, POD_PROCS, HOST_PROCS } from './node.ts';
export type { OvnNodePaths, OvnProcName } from './node.ts';
export { ensureOvnPackages, OVN_PACKAGES, INSTALL_COMMAND } from './packages.ts';
export { OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR, REBOOTING_ANNOTATION } from './lifecycle.ts';
export * from './ovsdb-client.ts';

/** The sim part. */
export const ovnPart = {
  name: 'ovn',
  start: (ctx: SimContext): Promise<Stoppable> => OvnCluster.start(ctx),
};

/** JSON dump of NB tables on a node: table -> rows (all columns, with _uuid). */
export function dumpNb(node: OvnNode, tables: string[]): Promise<Record<string, OvsdbRow[]>> {
  return node.dumpNb(tables);
}
