/**
 * The shape of one fault of the fault library. Neutral module: imported by sim/ (which acts on the faults)
 * and by harness/, scenarios/, evals/ and tests (which switch them and name them), so none of them needs sim/.
 */

/** bug: reproduces an upstream bug class; mode: a non-buggy alternative behaviour (an older release); operational: a broken component. */
export type FaultKind = 'bug' | 'mode' | 'operational';

/** One fault, without its id (the id is its key in the group). */
export interface FaultSpec {
  kind: FaultKind;
  /** the class of failure this fault reproduces, in a few words ('duplicate SNATs', 'operational'); its source is `upstream` */
  failureClass: string;
  /** upstream fix / issue (repository commit, PR or bug id) */
  upstream: string;
  title: string;
  description: string;
  /** how to make the symptom appear once the fault is on */
  trigger: string;
  symptom: { nb?: string; sb?: string; logs?: string[]; api?: string };
  /** what heals it once switched off */
  heal: string;
  /** accepted params (a JSON object as the switch value instead of "on"): name -> meaning */
  params?: Record<string, string>;
}

/** A fault with its id, as the catalogue lists it (FAULTS.md, faults.json, ConfigMap netharness-faults-catalogue). */
export type FaultDef<Id extends string = string> = { id: Id } & FaultSpec;

/**
 * Declares a group of faults (one file per component). The keys are the fault ids; their literal types
 * flow into `FaultId`, so keep the call's argument an object literal.
 */
export function defineFaults<K extends string>(faults: Record<K, FaultSpec>): Readonly<Record<K, FaultSpec>> {
  return faults;
}
