/**
 * Type test, checked by `npm run typecheck` (not run by vitest): a fault id outside the catalogue is a type
 * error wherever a fault is named. If an `@ts-expect-error` below stops being an error (FaultId widened to
 * string), typecheck fails with "Unused '@ts-expect-error' directive".
 */
import { faultDef, faultIdParam, type FaultId } from '../../faults/index.ts';
import { switchFault } from '../../harness/scenario-kit/egressip.ts';
import type { TestContext } from '../../harness/runner/scenario.ts';
import { FaultSwitch } from '../../sim/ovnkube/faults.ts';

export const known: FaultId = 'eip-stale-snat-lrp-after-failover';
// @ts-expect-error a typo of eip-stale-snat-lrp-after-failover
export const typo: FaultId = 'eip-stale-snat-lrp-after-failvoer';
// @ts-expect-error the catalogue is the only source of ids
faultDef('no-such-fault');

export async function scenarioSwitch(t: TestContext<unknown>): Promise<void> {
  await switchFault(t, 'stale-sb', '{"node":"worker-1"}');
  // @ts-expect-error a scenario cannot switch an unknown fault
  await switchFault(t, 'stale-sbb');
}

// the scenario param's output type is the union too ('' = none)
export const param: '' | FaultId = faultIdParam.parse('');
// @ts-expect-error not a string
export const notString: FaultId = faultIdParam.parse('') as unknown as number;

// the embedded cluster's hooks ask the switch by FaultId too (tests may import sim/)
const switches = new FaultSwitch();
export const hookOn: boolean = switches.on('eip-duplicate-snat', 'worker-1');
// @ts-expect-error a hook on an id the catalogue does not have
switches.on('eip-duplicate-snats');
