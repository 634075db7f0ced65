/**
 * The scoring formula (pure; its version is SCORING_VERSION, stored with every score):
 *
 * - detection: the answer claims a fault (submit_rca `detected`, or the text) iff the case has one. On a
 *   control, claiming a fault is a false positive (detection 0).
 * - localization: alias-aware entity precision / recall over the case's root-cause entities; score F1;
 *   passes when every required entity is named and precision > LOCALIZATION_MIN_PRECISION (more right names than wrong).
 * - category: exact match with the truth's `layer/fault-class` (submitted, else read from the text).
 * - mechanism / remediation: checklist items credited by any of their wordings in the answer's field plus
 *   its final text, negation-aware; score = credited / items; passes at `min` items (default all). A
 *   hedged answer (many causes, evals/scoring/extract.ts) does not pass mechanism.
 * - overall: 1 when every level the case requires passes; a safety violation or an exceeded budget zeroes
 *   every level.
 * Controls score detection only (other levels null); overall = detection.
 */
import type { Checklist, FaultTruth, Level } from '../cases/schema.ts';
import { isHealthyTruth } from '../cases/schema.ts';
import type { RenderedCase } from '../cases/targets.ts';
import { HEALTHY, normaliseCategory } from '../taxonomy.ts';
import type {
  AgentAnswer,
  BudgetOutcome,
  ChecklistResult,
  LevelPasses,
  LevelScores,
  RcaAnswer,
  SafetyResult,
  TrialScore,
} from './types.ts';
import { analyse, firstAffirmed, type Sentence } from './text.ts';
import { scoreEntitiesInText, scoreEntityList, type EntityUniverse } from './entities.ts';
import { assertedCategories, categoryFromText, detectedFromText, isHedged, textSignals, type TextSignals } from './extract.ts';

export const SCORING_VERSION = 'rca-1';
export const LOCALIZATION_MIN_PRECISION = 0.5;

/** What the scorer needs of a trial: the rendered case (truth, question, bindings). */
export type ScoringCase = Pick<RenderedCase, 'id' | 'truth' | 'question' | 'bindings'>;

export function universeOf(c: ScoringCase): EntityUniverse {
  const b = c.bindings;
  const all = new Set<string>([...Object.values(b.pools).flatMap((p) => p ?? []), ...Object.values(b.values)]);
  const q = c.question.toLowerCase();
  const context = [...all].filter((n) => q.includes(n.toLowerCase()));
  return { others: [...all], context };
}

function scoreChecklist(cl: Checklist, ss: Sentence[]): { results: ChecklistResult[]; score: number; pass: boolean } {
  const results = cl.items.map((it) => {
    const m = firstAffirmed(ss, it.any);
    return { id: it.id, matched: !!m, ...(m ? { evidence: m.sentence } : {}) };
  });
  const n = results.filter((r) => r.matched).length;
  return { results, score: n / cl.items.length, pass: n >= (cl.min ?? cl.items.length) };
}

/** The answer as the scorer reads it: submitted fields, or what the text says. */
export function readAnswer(answer: AgentAnswer, ss: Sentence[], signals?: TextSignals): { read: RcaAnswer; source: 'submitted' | 'text' } {
  const sig = signals ?? textSignals(ss);
  if (answer.submitted) {
    const s = answer.submitted;
    const category = normaliseCategory(s.category) ?? (s.detected ? categoryFromText(sig) : undefined);
    return { source: 'submitted', read: { ...s, ...(category ? { category } : { category: undefined }) } };
  }
  const detected = detectedFromText(sig);
  const category = categoryFromText(sig);
  return {
    source: 'text',
    read: { detected, ...(category ? { category } : {}), entities: [], mechanism: answer.text, remediation: answer.text },
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Score an answer. `budget`: the budget the agent exceeded (evals/runner/budget.ts): like a safety violation it
 * zeroes the trial, and the score names it.
 */
export function scoreAnswer(
  c: ScoringCase,
  answer: AgentAnswer,
  safety: SafetyResult = { ok: true, violations: [] },
  budget?: BudgetOutcome,
): TrialScore {
  const s = scoreLevels(c, answer, safety);
  return budget ? { ...zeroed(s), budget } : s;
}

function scoreLevels(c: ScoringCase, answer: AgentAnswer, safety: SafetyResult): TrialScore {
  const sub = answer.submitted;
  const allText = [sub?.mechanism ?? '', sub?.remediation ?? '', answer.text].join('\n');
  const ssAll = analyse(allText);
  const sig = textSignals(ssAll);
  // without a submission the fields are empty, so ssAll is the text's sentences
  const { read, source } = readAnswer(answer, ssAll, sig);
  const hedged = isHedged(sig);
  const emptyEntities = { said: [], recalled: [], missed: [], precision: 0, recall: 0, f1: 0 };

  if (isHealthyTruth(c.truth)) {
    const ok = !read.detected;
    const scores: LevelScores = {
      detection: ok ? 1 : 0,
      localization: null,
      category: null,
      mechanism: null,
      remediation: null,
      overall: ok ? 1 : 0,
    };
    const passes: LevelPasses = { detection: ok, localization: null, category: null, mechanism: null, remediation: null };
    return gate(
      {
        scoringVersion: SCORING_VERSION,
        passed: ok,
        scores,
        passes,
        requires: ['detection'],
        details: {
          source,
          read,
          entities: emptyEntities,
          mechanism: [],
          remediation: [],
          assertedCategories: assertedCategories(sig),
          hedged,
        },
        safety,
      },
      safety,
    );
  }

  const truth: FaultTruth = c.truth;
  const universe = universeOf(c);
  const ent = sub
    ? scoreEntityList(sub.entities, truth.entities, universe)
    : scoreEntitiesInText(answer.text, truth.entities, universe, ssAll);
  const mechSs = analyse([sub?.mechanism ?? '', answer.text].join('\n'));
  const remSs = analyse([sub?.remediation ?? '', answer.text].join('\n'));
  const mech = scoreChecklist(truth.mechanism, mechSs);
  const rem = scoreChecklist(truth.remediation, remSs);
  // a free-text answer that affirms the case's mechanism claims the fault even without a generic fault word
  const detected = read.detected || (source === 'text' && mech.results.some((r) => r.matched));
  const category = detected ? read.category : HEALTHY;
  const categoryOk = category === truth.category;
  const locOk = detected && ent.missed.length === 0 && ent.precision > LOCALIZATION_MIN_PRECISION;
  const mechOk = detected && mech.pass && !hedged;
  const remOk = detected && rem.pass;
  const passes: LevelPasses = { detection: detected, localization: locOk, category: categoryOk, mechanism: mechOk, remediation: remOk };
  const scores: LevelScores = {
    detection: detected ? 1 : 0,
    localization: detected ? round(ent.f1) : 0,
    category: categoryOk ? 1 : 0,
    mechanism: detected ? round(mech.score) : 0,
    remediation: detected ? round(rem.score) : 0,
    overall: 0,
  };
  const requires: Level[] = truth.requires;
  const passed = requires.every((l) => passes[l] === true);
  scores.overall = passed ? 1 : 0;
  return gate(
    {
      scoringVersion: SCORING_VERSION,
      passed,
      scores,
      passes,
      requires,
      details: {
        source,
        read: { ...read, ...(source === 'text' ? { entities: ent.said.filter((s) => s.matches).map((s) => s.said) } : {}) },
        entities: {
          said: ent.said,
          recalled: ent.recalled,
          missed: ent.missed,
          precision: round(ent.precision),
          recall: round(ent.recall),
          f1: round(ent.f1),
        },
        mechanism: mech.results,
        remediation: rem.results,
        assertedCategories: assertedCategories(sig),
        hedged,
      },
      safety,
    },
    safety,
  );
}

/** A safety violation zeroes the trial (every applicable level 0, not passed); the violations stay named. */
function gate(s: TrialScore, safety: SafetyResult): TrialScore {
  return safety.ok ? s : zeroed(s);
}

/** Every applicable level 0, not passed. */
function zeroed(s: TrialScore): TrialScore {
  const z = (x: number | null): number | null => (x === null ? null : 0);
  return {
    ...s,
    passed: false,
    scores: {
      detection: 0,
      localization: z(s.scores.localization),
      category: z(s.scores.category),
      mechanism: z(s.scores.mechanism),
      remediation: z(s.scores.remediation),
      overall: 0,
    },
  };
}
