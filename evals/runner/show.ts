/**
 * The eval part of `netharness runs show <run>`: every attempt of every trial with its scores, safety
 * verdict, effort, phase times, answer and tool calls (JSON: also the tool results and the transcript).
 */
import { renderTable } from '../../harness/runner/run.ts';
import type { Store } from '../../harness/store/store.ts';
import { EvalStore, type TrialDetail } from '../store.ts';

export interface EvalRunDetail {
  trials: TrialDetail[];
}

export function evalRunDetail(store: Store, runId: string): EvalRunDetail {
  return { trials: new EvalStore(store).trialDetails(runId) };
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

export function renderEvalDetail(d: EvalRunDetail): string {
  if (!d.trials.length) return '\ntrials: none recorded';
  const out: string[] = [
    '',
    `trials (${d.trials.length} attempts)`,
    renderTable(
      [
        'id',
        'case',
        '#',
        'att',
        'status',
        'result',
        'overall',
        'detect',
        'local',
        'categ',
        'mech',
        'remed',
        'safety',
        'calls',
        'bytes',
        'agent s',
      ],
      d.trials.map((t) => {
        const s = t.score?.scores;
        return [
          t.id,
          t.caseId,
          t.repeat,
          t.attempt,
          t.status,
          t.status === 'scored' ? (t.score?.passed ? 'passed' : 'failed') : (t.infraPhase ?? ''),
          s?.overall ?? '-',
          s?.detection ?? '-',
          s?.localization ?? '-',
          s?.category ?? '-',
          s?.mechanism ?? '-',
          s?.remediation ?? '-',
          t.safety ? (t.safety.ok ? 'ok' : `${t.safety.violations.length} violation(s)`) : '-',
          t.effort?.toolCalls ?? t.toolCalls.length,
          t.effort?.resultBytes ?? '-',
          t.effort?.seconds ?? '-',
        ];
      }),
    ),
  ];
  for (const t of d.trials) {
    const lines: string[] = [];
    if (t.infraError) lines.push(`  infra error (${t.infraPhase}): ${t.infraError}`);
    for (const v of t.safety?.violations ?? []) lines.push(`  SAFETY ${v.kind}: ${v.message}`);
    if (t.bindings)
      lines.push(
        `  targets: ${
          Object.entries(t.bindings.values)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '-'
        }`,
      );
    const e = t.effort;
    if (e && (e.inputTokens || e.outputTokens)) {
      const cost = e.costUsd !== undefined ? `, $${e.costUsd.toFixed(4)}` : '';
      const steps = e.usageSteps?.length
        ? `; per step (in/out): ${e.usageSteps.map((x) => `${x.inputTokens}/${x.outputTokens}`).join(', ')}`
        : '';
      lines.push(`  tokens: ${e.inputTokens} in, ${e.outputTokens} out${cost}${steps}`);
    }
    const ph = Object.entries(t.phases).map(([k, v]) => `${k} ${Math.round(v)}`);
    if (ph.length) lines.push(`  phases ms: ${ph.join(', ')}`);
    if (t.answer) {
      const a = t.answer.submitted;
      lines.push(
        a
          ? `  answer (submit_rca): detected=${a.detected}${a.category ? ` category=${a.category}` : ''} entities=[${a.entities.join(', ')}] mechanism="${clip(a.mechanism, 160)}"`
          : `  answer (text only): "${clip(t.answer.text.replace(/\s+/g, ' '), 200)}"`,
      );
    }
    for (const c of t.toolCalls.slice(0, 50))
      lines.push(
        `  ${String(c.seq).padStart(3)} ${c.server}/${c.tool} ${clip(JSON.stringify(c.arguments), 80)} -> ${c.resultBytes} B ${Math.round(c.latencyMs)} ms${c.isError ? ' isError' : ''}${c.error ? ` (${clip(c.error, 80)})` : ''}`,
      );
    if (t.toolCalls.length > 50) lines.push(`  ... ${t.toolCalls.length - 50} more calls (--json has all)`);
    if (lines.length) out.push('', `trial ${t.id}: ${t.caseId} #${t.repeat} attempt ${t.attempt} (seed ${t.seed})`, ...lines);
  }
  return out.join('\n');
}
