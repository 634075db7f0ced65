/** Opens the target named on the command line: an offline bundle, or a cluster through a kubeconfig. */
import type { ConsistencyCheck } from './registry.ts';
import type { Target } from './target.ts';
import { BundleTarget } from './bundle-target.ts';
import { isMustGather, MustGatherTarget } from './must-gather.ts';
import { LiveTarget } from './live-target.ts';
import { runCheckOnTarget } from './consistency.ts';

export interface TargetOptions {
  kubeconfig?: string;
  context?: string;
  bundle?: string;
}

/** The target, and the runner of the harness checks (every check tool runs through it). */
export async function openTarget(o: TargetOptions): Promise<{ target: Target; consistencyCheck: ConsistencyCheck }> {
  const target: Target = o.bundle
    ? isMustGather(o.bundle)
      ? MustGatherTarget.open(o.bundle)
      : BundleTarget.open(o.bundle)
    : LiveTarget.connect({ kubeconfig: o.kubeconfig, context: o.context });
  return { target, consistencyCheck: runCheckOnTarget };
}
