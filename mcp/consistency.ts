/**
 * Wires the harness's EgressIP rule-consistency check (harness/checks/egressip) into the
 * analysis toolset. Until that module exists this returns undefined and the tool says
 * "not available".
 */
import type { ConsistencyCheck } from './registry.ts';

export async function loadConsistencyCheck(): Promise<ConsistencyCheck | undefined> {
  return undefined;
}
