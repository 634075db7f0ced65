/**
 * Scored trials of a stored eval run as TrialOutcomes (the statistics' input), read from the results database.
 * An eval run is one agent (with its model, from the run's agentParams) on one set of MCP servers (the run's
 * mcpServers). A case's category and layer come from the run's params (`caseMeta`, when the runner stored it),
 * else from the case files in evals/cases by id ('unknown' for an id no file has).
 */
import { loadCases } from '../cases/loader.ts';
import { isHealthyTruth } from '../cases/schema.ts';
import { HEALTHY } from '../taxonomy.ts';
import { EvalStore } from '../store.ts';
import type { RunRow, Store } from '../../harness/store/store.ts';
import { STAT_LEVELS, type StatLevel, type TrialOutcome } from './index.ts';

export interface CaseMeta {
  category: string;
  layer: string;
  difficulty: string;
  control: boolean;
  title: string;
}

/** Agents that are baselines (evals/scoring/baselines.ts and the model agents' no-tools run): shown beside every model. */
export const BASELINE_AGENTS = ['constant', 'random', 'no-tools'];

export function isBaseline(agent: string): boolean {
  return BASELINE_AGENTS.some((b) => agent === b || agent.startsWith(`${b}/`));
}

/** 'openai/gpt-4o-mini' for a model agent, the agent's name otherwise. */
export function agentLabel(run: RunRow, trialAgent?: string): string {
  const name = trialAgent ?? String(run.params.agent ?? 'unknown');
  const ap = run.params.agentParams as Record<string, unknown> | undefined;
  const model = typeof ap?.model === 'string' && ap.model ? ap.model : undefined;
  return model ? `${name}/${model}` : name;
}

/** The run's MCP servers joined with '+' ('netharness', 'netharness+kubernetes'). */
export function mcpLabel(run: RunRow): string {
  const s = run.params.mcpServers;
  const names = Array.isArray(s) ? s.map((x) => String(x).replace(/ \(default\)$/, '')) : ['netharness'];
  return names.length ? names.join('+') : 'none';
}

let fileMeta: Map<string, CaseMeta> | undefined;

/** Case metadata from evals/cases (loaded once per process). */
export function caseFileMeta(): Map<string, CaseMeta> {
  if (fileMeta) return fileMeta;
  fileMeta = new Map();
  try {
    for (const lc of loadCases()) {
      const c = lc.case;
      const control = isHealthyTruth(c.truth);
      fileMeta.set(c.id, {
        category: control ? HEALTHY : (c.truth as { category: string }).category,
        layer: c.tags.layer,
        difficulty: c.tags.difficulty,
        control,
        title: c.title,
      });
    }
  } catch {
    /* a broken case file: the report says 'unknown' rather than failing */
  }
  return fileMeta;
}

const UNKNOWN: CaseMeta = { category: 'unknown', layer: 'unknown', difficulty: 'unknown', control: false, title: '' };

export function caseMetaOf(run: RunRow, caseId: string): CaseMeta {
  const stored = (run.params.caseMeta as Record<string, Partial<CaseMeta>> | undefined)?.[caseId];
  const fromFile = caseFileMeta().get(caseId);
  return { ...UNKNOWN, ...(fromFile ?? {}), ...(stored ?? {}) };
}

/** The scored trials of an eval run (infra and interrupted attempts are not outcomes). */
export function runOutcomes(store: Store, run: RunRow): TrialOutcome[] {
  const es = new EvalStore(store);
  const out: TrialOutcome[] = [];
  const mcp = mcpLabel(run);
  for (const t of es.trials(run.id)) {
    if (t.status !== 'scored') continue;
    const sc = es.latestScore(t.id);
    if (!sc) continue;
    const meta = caseMetaOf(run, t.caseId);
    const storedPasses = (sc.score?.passes ?? {}) as Partial<Record<StatLevel, boolean | null>>;
    const scores = sc.scores as unknown as Record<StatLevel, number | null>;
    const passes = Object.fromEntries(
      STAT_LEVELS.map((l) => {
        if (l === 'overall') return [l, sc.passed];
        const p = storedPasses[l];
        // an older score without per-level passes: a level passes at full score
        return [l, p !== undefined ? p : scores[l] === null || scores[l] === undefined ? null : scores[l] === 1];
      }),
    ) as Record<StatLevel, boolean | null>;
    const safety = t.safety ?? sc.score?.safety ?? null;
    out.push({
      runId: run.id,
      trialId: t.id,
      caseId: t.caseId,
      repeat: t.repeat,
      agent: agentLabel(run, t.agent),
      mcpServer: mcp,
      category: meta.category,
      layer: meta.layer,
      control: meta.control,
      passes,
      scores: Object.fromEntries(STAT_LEVELS.map((l) => [l, scores[l] ?? null])) as Record<StatLevel, number | null>,
      effort: {
        toolCalls: t.effort?.toolCalls ?? 0,
        inputTokens: t.effort?.inputTokens ?? 0,
        outputTokens: t.effort?.outputTokens ?? 0,
        seconds: t.effort?.seconds ?? (t.endedAt ? (Date.parse(t.endedAt) - Date.parse(t.startedAt)) / 1000 : 0),
        costUsd: typeof t.effort?.costUsd === 'number' ? t.effort.costUsd : null,
        ...(t.effort?.usageSteps?.length
          ? { usageSteps: t.effort.usageSteps.map((s) => ({ step: s.step, inputTokens: s.inputTokens, outputTokens: s.outputTokens })) }
          : {}),
      },
      violations: safety?.violations?.length ?? 0,
    });
  }
  return out;
}
