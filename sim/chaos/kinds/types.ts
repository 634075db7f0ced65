/**
 * The embedded cluster's side of a chaos kind: what applying and recovering one record does (the
 * declarative part is chaos/kinds/<kind>.ts). One factory per kind, registered in ./index.ts; the
 * controller (../controller.ts) owns the records, the status and the events, and calls these.
 */
import type { ChaosRecord } from '../../../chaos/model.ts';
import type { KubeObject, SimContext } from '../../types.ts';

export type Spec = Record<string, unknown>;

export interface KindEffect {
  /** Act on one record (id ns/pod or ns/pod/container). Throwing records a Failed Apply and retries. */
  apply(obj: KubeObject, spec: Spec, r: ChaosRecord): void;
  /** Undo it. Throwing records a Failed Recover and retries. */
  recover(obj: KubeObject, spec: Spec, r: ChaosRecord): void;
  /** The object is gone (its finalizer dropped): forget what was kept for it. */
  forget?(uid: string): void;
  /** The controller stops: undo what is still applied (no node left cut off). */
  stop?(): void;
}

/** One instance per controller, so per-kind state (e.g. partition refcounts) lives with the kind. */
export type KindEffectFactory = (ctx: SimContext) => KindEffect;

/** Kinds the embedded cluster records (status + events) without acting on a target. */
export const recordedOnly: KindEffectFactory = () => ({ apply: () => undefined, recover: () => undefined });
