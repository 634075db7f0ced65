/**
 * Targets drawn per trial, and placeholder rendering. Pure: the runner reads the pools and derivations
 * from the target (TargetEnv) and this module decides, from the trial seed alone, which member each
 * target gets, so a trial is reproducible from (case, seed, pools) and answers cannot be memorised.
 */
import type { EvalCase, Pool, Derivation } from './schema.ts';
import { PLACEHOLDER_RE, walkStrings } from './schema.ts';
import { mulberry32 } from '../../harness/random.ts';

/** What the runner read from the target for a trial. */
export interface TargetEnv {
  /** members of a pool, in any order (sorted here so the draw does not depend on list order) */
  pool(name: Pool): readonly string[];
  /** a value derived from a drawn one (the node an EgressIP is assigned to, a node's ovnkube-node pod, ...) */
  derive(kind: Derivation, of: string): string | Promise<string>;
}

/** The drawn values of one trial, plus the pools they came from (the scorer's entity universe). */
export interface Bindings {
  seed: number;
  values: Record<string, string>;
  /** pool name -> members, for the targets drawn from pools (names an answer may wrongly blame) */
  pools: Partial<Record<Pool, string[]>>;
}

export class TargetDrawError extends Error {
  override name = 'TargetDrawError';
}

/** Seed of one trial from the run seed, the case id and the repeat index (stable across runs and suites). */
export function trialSeed(runSeed: number, caseId: string, repeat: number): number {
  let h = (runSeed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${caseId}#${repeat}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/**
 * Pools recorded with every trial even when no target is drawn from them: the names an answer can wrongly
 * blame (another node, another EgressIP) are known to the scorer this way.
 */
export const UNIVERSE_POOLS: readonly Pool[] = ['workers', 'egressips', 'egressip-namespaces', 'ptp-nodes'];

/** Draw every target of a case, in declaration order. Throws TargetDrawError (an infra error: the setup is too small). */
export async function drawTargets(c: Pick<EvalCase, 'id' | 'targets'>, seed: number, env: TargetEnv): Promise<Bindings> {
  const rnd = mulberry32(seed);
  const values: Record<string, string> = {};
  const pools: Bindings['pools'] = {};
  for (const [key, d] of Object.entries(c.targets)) {
    if ('pool' in d) {
      const members = [...new Set(env.pool(d.pool))].sort();
      pools[d.pool] = members;
      const excluded = new Set(d.distinctFrom.map((k) => values[k]));
      const choices = members.filter((m) => !excluded.has(m));
      if (!choices.length)
        throw new TargetDrawError(
          `case ${c.id}: target '${key}': pool '${d.pool}' has ${members.length ? `no member besides ${[...excluded].join(', ')}` : 'no members'} (setup too small?)`,
        );
      values[key] = choices[Math.floor(rnd() * choices.length)]!;
    } else {
      const of = values[d.of];
      if (of === undefined) throw new TargetDrawError(`case ${c.id}: target '${key}' derives from '${d.of}', which has no value`);
      const v = await env.derive(d.derive, of);
      if (!v) throw new TargetDrawError(`case ${c.id}: target '${key}': no ${d.derive} for '${of}'`);
      values[key] = v;
    }
  }
  for (const p of UNIVERSE_POOLS) {
    if (pools[p]) continue;
    const members = [...new Set(env.pool(p))].sort();
    if (members.length) pools[p] = members;
  }
  return { seed, values, pools };
}

/** Substitute `{{name}}` in every string of a value. Unknown placeholders throw (the loader rejects them earlier). */
export function renderPlaceholders<T>(v: T, values: Record<string, string>): T {
  const sub = (s: string): string =>
    s.replace(PLACEHOLDER_RE, (_m, k: string) => {
      const x = values[k];
      if (x === undefined) throw new TargetDrawError(`placeholder {{${k}}} has no value`);
      return x;
    });
  const rec = (x: unknown): unknown => {
    if (typeof x === 'string') return sub(x);
    if (Array.isArray(x)) return x.map(rec);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [sub(k), rec(y)]));
    return x;
  };
  return rec(v) as T;
}

/** The case with its targets filled in: what the runner injects and gates on, and what the scorer scores against. */
export type RenderedCase = Omit<EvalCase, 'fault' | 'gate' | 'question' | 'truth' | 'heal'> &
  Pick<EvalCase, 'fault' | 'gate' | 'question' | 'truth' | 'heal'> & { bindings: Bindings };

export function renderCase(c: EvalCase, bindings: Bindings): RenderedCase {
  return {
    ...c,
    fault: renderPlaceholders(c.fault, bindings.values),
    gate: renderPlaceholders(c.gate, bindings.values),
    question: renderPlaceholders(c.question, bindings.values),
    truth: renderPlaceholders(c.truth, bindings.values),
    heal: renderPlaceholders(c.heal, bindings.values),
    bindings,
  };
}

/** The placeholders a value uses (for docs and tests). */
export function placeholdersOf(v: unknown): string[] {
  const out = new Set<string>();
  walkStrings(v, [], (s) => {
    for (const m of s.matchAll(PLACEHOLDER_RE)) out.add(m[1]!);
  });
  return [...out].sort();
}
