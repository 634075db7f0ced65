/**
 * The chaos kinds: the one list. Adding a kind is a file `chaos/kinds/<kind>.ts` exporting
 * `defineChaosKind({...})` (validation, one-shot / records behaviour, CRD schema, templates) and its line
 * in CHAOS_KIND_LIST below; its effect in the embedded cluster is `sim/chaos/kinds/<kind>.ts` with its
 * line in sim/chaos/kinds/index.ts (a missing one fails typecheck). Then regenerate what derives from it:
 *   npx tsx harness/chaos/docs.ts --write   (chaos/README.md table, sim/api/crds/chaos-mesh.org.yaml)
 */
import { networkChaos } from './network-chaos.ts';
import { podChaos } from './pod-chaos.ts';
import { stressChaos } from './stress-chaos.ts';
import { timeChaos } from './time-chaos.ts';

export const CHAOS_KIND_LIST = [podChaos, networkChaos, stressChaos, timeChaos] as const;
