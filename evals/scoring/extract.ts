/**
 * Reading an answer out of free text (an agent that never called submit_rca), and the text signals the
 * scorer also applies to submitted answers: which categories the text asserts, whether it claims the
 * cluster is healthy, whether it hedges across many causes.
 */
import {
  CATEGORIES,
  FAULT_CLASS_INFO,
  HEALTHY,
  LAYER_INFO,
  LAYERS,
  isCategory,
  normaliseCategory,
  type FaultClass,
  type Layer,
} from '../taxonomy.ts';
import { findPattern, type Sentence } from './text.ts';

const HEALTHY_PATTERNS = [
  'no fault|faults|problem|problems|issue|issues|anomaly|anomalies|misconfiguration|inconsistenc*|inconsistency|findings',
  'nothing wrong|abnormal|amiss|broken',
  'healthy',
  'everything|all consistent|fine|normal|correct|expected|ok',
  'working|works|behaves as expected|configured|intended|designed',
  'no root cause',
  'not find|found|see|detect any problem*|fault*|issue*|anomal*|inconsisten*',
  'could not find|found|see|detect anything wrong',
  'egress working|works correctly|fine|normally',
];

/** Phrases that mark an answer as listing alternatives rather than committing to one cause. */
const HEDGE_PATTERNS = [
  'possible cause*|causes|explanations|reasons',
  'could be',
  'might be',
  'may be',
  'either',
  'or possibly',
  'or maybe',
  'one of the following',
  'several possibilit*',
  'candidates',
  'not sure',
  'unclear',
  'perhaps',
  'hard to say',
  'cannot determine|tell',
  're:\\b(?:another|other) possibilit',
];

/** Words that claim something is wrong without naming a class (the symptom restated counts as a claim). */
const FAULT_CLAIMS = [
  'problem|problems',
  'issue|issues',
  'wrong',
  'broken|breaks',
  'fault|faults|faulty',
  'error|errors',
  'fail|fails|failing|failed|failure',
  'root cause is|was',
  'culprit',
  'bug',
];

const EXPLICIT_CATEGORY = new RegExp(`\\b(${LAYERS.join('|')})\\s*[/:]\\s*([a-z][a-z-]*[a-z])\\b`, 'g');

export interface TextSignals {
  /** categories stated explicitly (`ovn/process-down`) and not negated, in order of first appearance */
  explicit: string[];
  /** fault classes whose cues the text affirms, with the index of the first sentence */
  classes: Map<FaultClass, number>;
  layers: Map<Layer, number>;
  healthyClaim: boolean;
  /** affirmed generic claims that something is wrong */
  faultClaims: number;
  hedgeMarkers: number;
}

function countCues(ss: Sentence[], cues: readonly string[]): { count: number; first: number } {
  let count = 0;
  let first = Number.POSITIVE_INFINITY;
  for (const c of cues)
    for (const m of findPattern(ss, c))
      if (!m.negated) {
        count++;
        first = Math.min(
          first,
          ss.findIndex((s) => s.text === m.sentence),
        );
      }
  return { count, first };
}

/**
 * A sentence that proposes a fix ("Restart ovnkube-controller there", "Fix: label the nodes again") says what to
 * act on, not what is wrong: its words do not vote for the fault class or the layer of the cause.
 */
const REMEDIATION_SENTENCE =
  /^\W*(?:fix\b|fix:|to fix|remediation|restart|delete|deleting|recreate|re-add|readd|add|bring|start|stop|disable|remove|replace|check|restore|label|set|reboot|ip (?:link|route) (?:set|add|del))/;

export function textSignals(ss: Sentence[]): TextSignals {
  const explicit: string[] = [];
  const causes = ss.filter((s) => !REMEDIATION_SENTENCE.test(s.text));
  for (const s of ss)
    for (const m of s.text.matchAll(EXPLICIT_CATEGORY)) {
      const id = normaliseCategory(`${m[1]}/${m[2]}`)!;
      if (!isCategory(id) || explicit.includes(id)) continue;
      const idx = s.tokens.findIndex((t) => t.start <= m.index && t.end > m.index);
      if (idx >= 0 && findPattern([s], `re:${m[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).every((x) => x.negated)) continue;
      explicit.push(id);
    }
  const classes = new Map<FaultClass, number>();
  for (const [k, info] of Object.entries(FAULT_CLASS_INFO) as [FaultClass, (typeof FAULT_CLASS_INFO)[FaultClass]][]) {
    const c = countCues(causes, info.cues);
    if (c.count) classes.set(k, c.first * 100 - c.count);
  }
  const layers = new Map<Layer, number>();
  for (const l of LAYERS) {
    const c = countCues(causes, LAYER_INFO[l].cues);
    if (c.count) layers.set(l, c.count);
  }
  const healthyClaim = HEALTHY_PATTERNS.some((p) => findPattern(ss, p).some((m) => !m.negated));
  const faultClaims = FAULT_CLAIMS.reduce((n, p) => n + findPattern(ss, p).filter((m) => !m.negated).length, 0);
  const hedgeMarkers = HEDGE_PATTERNS.reduce((n, p) => n + findPattern(ss, p).filter((m) => !m.negated).length, 0);
  return { explicit, classes, layers, healthyClaim, faultClaims, hedgeMarkers };
}

/**
 * Does the text claim a fault? Yes when it affirms (not negates) a fault category, a fault class's cue or a
 * generic claim ("the problem is ..."). "No stale SNATs, nothing is wrong" claims none; "everything else is
 * healthy, but the SNAT is missing" claims one.
 */
export function detectedFromText(sig: TextSignals): boolean {
  if (sig.explicit.some((c) => c !== HEALTHY)) return true;
  return sig.classes.size > 0 || sig.faultClaims > 0;
}

/**
 * The category a free text asserts: an explicit `layer/class` if it gives exactly one; otherwise the best
 * valid pair of the layer and class it talks about most (a class: earliest first, then most cues).
 * Undefined when nothing fits.
 */
export function categoryFromText(sig: TextSignals): string | undefined {
  const explicitFaults = sig.explicit.filter((c) => c !== HEALTHY);
  if (explicitFaults.length === 1) return explicitFaults[0];
  if (explicitFaults.length > 1) return undefined;
  if (!detectedFromText(sig)) return sig.healthyClaim ? HEALTHY : undefined;
  // an answer that spreads over many causes commits to no category
  if (isHedged(sig)) return undefined;
  let best: { id: string; score: number } | undefined;
  const classRank = [...sig.classes.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
  for (const c of CATEGORIES) {
    const ci = classRank.indexOf(c.faultClass);
    const lc = sig.layers.get(c.layer) ?? 0;
    if (ci < 0 || lc === 0) continue;
    // class order dominates, layer mentions break ties
    const score = (classRank.length - ci) * 1000 + lc;
    if (!best || score > best.score) best = { id: c.id, score };
  }
  // a container restarting over and over is a pod-level state (the taxonomy's rule: the ovnkube-node pod in
  // CrashLoopBackOff is k8s/crash-loop), whatever component the text names around it
  if (best?.id.endsWith('/crash-loop')) return 'k8s/crash-loop';
  return best?.id;
}

/** Distinct categories the text asserts (explicit ids, or fault classes affirmed), for the hedging rule. */
export function assertedCategories(sig: TextSignals): string[] {
  return [...new Set([...sig.explicit, ...[...sig.classes.keys()].map((k) => `*/${k}`)])];
}

/**
 * Hedging: the answer spreads over many causes instead of committing to one (over-attribution, SREGym's
 * scope-precision check). Three or more explicit categories, or hedge phrases together with three or more
 * distinct fault classes.
 */
export function isHedged(sig: TextSignals): boolean {
  const explicitFaults = sig.explicit.filter((c) => c !== HEALTHY);
  if (explicitFaults.length >= 3) return true;
  return sig.hedgeMarkers >= 1 && sig.classes.size >= 3;
}
