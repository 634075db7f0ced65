/**
 * The fault library's catalogue: the one list of fault ids, shared by the embedded cluster (sim/, which acts
 * on them) and everything that names them (harness/, scenarios/, evals/, tests) without importing sim/.
 *
 * Adding a fault:
 *   - to an existing group: add one entry to its file (e.g. faults/ovnkube.ts), keyed by the new id, and
 *     the hook that acts on it in the sim; then regenerate the docs:
 *       npx tsx sim/ovnkube/faults-doc.ts > sim/ovnkube/FAULTS.md
 *       npx tsx sim/ovnkube/faults-doc.ts --json > sim/ovnkube/faults.json
 *       npm run schemas   (the scenarios' `fault` param is an enum of the ids)
 *   - a new group (a component): a file `faults/<group>.ts` exporting `defineFaults({ '<id>': {...} })`,
 *     plus its line in GROUPS below (with its import).
 * `FaultId` is derived from the groups, so a hook, a scenario or a test naming an id that is in no group
 * fails `npm run typecheck`. Ids are unique across groups (checked when this module loads).
 */
import { z } from 'zod';
import { ovnkubeFaults } from './ovnkube.ts';
import { ptpFaults } from './ptp.ts';
import type { FaultDef, FaultSpec } from './types.ts';

export type { FaultDef, FaultKind, FaultSpec } from './types.ts';
export { defineFaults } from './types.ts';

/** The registry: one entry per group file. */
const GROUPS = [ovnkubeFaults, ptpFaults] as const;

/** Every fault id of the catalogue (a typo is a type error). */
export type FaultId = KeysOf<(typeof GROUPS)[number]>;
/** keyof distributed over the union of groups (keyof of a union would be the keys they share: none) */
type KeysOf<G> = G extends unknown ? keyof G & string : never;

/** Where the sim reads the switches: one data key per fault id, value "on", "off" or a JSON object of params. */
export const FAULTS_NAMESPACE = 'netharness';
export const FAULTS_CONFIGMAP = 'netharness-faults';
/** The catalogue as data on a running sim (one key per fault id, JSON FaultDef), for tools that only have a kubeconfig. */
export const FAULTS_CATALOGUE_CONFIGMAP = 'netharness-faults-catalogue';

function flatten(): FaultDef<FaultId>[] {
  const out: FaultDef<FaultId>[] = [];
  const seen = new Set<string>();
  for (const group of GROUPS) {
    for (const [id, spec] of Object.entries(group) as [FaultId, FaultSpec][]) {
      if (seen.has(id)) throw new Error(`faults/: fault id '${id}' is declared twice (ids are unique across groups)`);
      seen.add(id);
      out.push({ id, ...spec });
    }
  }
  return out;
}

/** The catalogue in declaration order (group by group). */
export const FAULTS: readonly FaultDef<FaultId>[] = flatten();
export const FAULT_IDS: readonly FaultId[] = FAULTS.map((f) => f.id);
const BY_ID = new Map<string, FaultDef<FaultId>>(FAULTS.map((f) => [f.id, f]));

export function isFaultId(s: string): s is FaultId {
  return BY_ID.has(s);
}

export function faultDef(id: FaultId): FaultDef<FaultId> {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`unknown fault id '${id}'`);
  return f;
}

/** The catalogue id closest to a mistyped one (edit distance at most a third of its length), for error messages. */
export function closestFaultId(s: string): FaultId | undefined {
  let best: { id: FaultId; d: number } | undefined;
  for (const id of FAULT_IDS) {
    const d = editDistance(s, id);
    if (!best || d < best.d) best = { id, d };
  }
  return best && best.d <= Math.max(2, Math.floor(s.length / 3)) ? best.id : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** A scenario param naming a fault to switch on for the run; '' (the default) switches none. */
export const faultIdParam = z
  .enum(['', ...FAULT_IDS] as ['', ...FaultId[]], {
    error: (iss) => {
      const got = typeof iss.input === 'string' ? iss.input : JSON.stringify(iss.input);
      const near = typeof iss.input === 'string' ? closestFaultId(iss.input) : undefined;
      return `'${got}' is not a fault id of the catalogue${near ? ` (did you mean '${near}'?)` : ''}; the ids are in sim/ovnkube/FAULTS.md, '' switches none`;
    },
  })
  .default('');
