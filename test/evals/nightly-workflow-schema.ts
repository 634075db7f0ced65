/**
 * The GitHub Actions workflow syntax, as documented (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax),
 * in zod: the keys a workflow, a job and a step may have (unknown keys are errors, as GitHub reports them),
 * a step is `uses` or `run` (not both), plus the checks actionlint makes that matter here: `needs` names
 * existing jobs without cycles, `steps.<id>` / `needs.<job>` references resolve, step ids are unique, cron
 * has five fields, `secrets` is not read in an `if`, and every `${{ }}` is closed. actionlint itself is not
 * installed on these machines; this is the check.
 */
import { z } from 'zod';

const expr = z.string();
const strMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const step = z
  .strictObject({
    id: z.string().regex(ID).optional(),
    if: z.union([expr, z.boolean()]).optional(),
    name: z.string().optional(),
    uses: z
      .string()
      .regex(/^([\w.-]+\/[\w./-]+@[\w.-]+|\.\/[\w./-]+|docker:\/\/.+)$/, 'owner/repo[/path]@ref, ./path or docker://image')
      .optional(),
    run: z.string().min(1).optional(),
    shell: z.string().optional(),
    with: strMap.optional(),
    env: strMap.optional(),
    'continue-on-error': z.union([z.boolean(), expr]).optional(),
    'timeout-minutes': z.union([z.number().positive(), expr]).optional(),
    'working-directory': z.string().optional(),
  })
  .refine((s) => (s.uses === undefined) !== (s.run === undefined), { message: 'a step has exactly one of uses and run' })
  .refine((s) => s.uses !== undefined || s.with === undefined, { message: 'with is for uses steps' });

const matrix = z.union([expr, z.record(z.string(), z.union([z.array(z.unknown()), expr, z.array(z.record(z.string(), z.unknown()))]))]);

const job = z.strictObject({
  name: z.string().optional(),
  'runs-on': z.union([
    z.string(),
    z.array(z.string()),
    z.strictObject({ group: z.string().optional(), labels: z.union([z.string(), z.array(z.string())]).optional() }),
  ]),
  needs: z.union([z.string().regex(ID), z.array(z.string().regex(ID))]).optional(),
  if: z.union([expr, z.boolean()]).optional(),
  permissions: z.union([z.enum(['read-all', 'write-all']), z.record(z.string(), z.enum(['read', 'write', 'none']))]).optional(),
  environment: z.union([z.string(), z.strictObject({ name: z.string(), url: z.string().optional() })]).optional(),
  concurrency: z
    .union([z.string(), z.strictObject({ group: z.string(), 'cancel-in-progress': z.union([z.boolean(), expr]).optional() })])
    .optional(),
  outputs: z.record(z.string(), z.string()).optional(),
  env: strMap.optional(),
  defaults: z
    .strictObject({ run: z.strictObject({ shell: z.string().optional(), 'working-directory': z.string().optional() }) })
    .optional(),
  'timeout-minutes': z.union([z.number().positive(), expr]).optional(),
  strategy: z
    .strictObject({
      matrix,
      'fail-fast': z.union([z.boolean(), expr]).optional(),
      'max-parallel': z.union([z.number().int().positive(), expr]).optional(),
    })
    .optional(),
  'continue-on-error': z.union([z.boolean(), expr]).optional(),
  container: z.unknown().optional(),
  services: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(step).min(1),
});

const cron = z
  .string()
  .refine((c) => c.trim().split(/\s+/).length === 5, { message: 'cron has five fields (minute hour day month weekday)' });
const dispatchInput = z.strictObject({
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: z.union([z.string(), z.boolean(), z.number()]).optional(),
  type: z.enum(['string', 'boolean', 'choice', 'number', 'environment']).optional(),
  options: z.array(z.string()).optional(),
});

export const workflowSchema = z.strictObject({
  name: z.string().optional(),
  'run-name': z.string().optional(),
  on: z.union([
    z.string(),
    z.array(z.string()),
    z.record(z.string(), z.unknown()).superRefine((on, ctx) => {
      if ('schedule' in on) {
        const p = z.array(z.strictObject({ cron })).min(1).safeParse(on.schedule);
        if (!p.success) for (const i of p.error.issues) ctx.addIssue({ code: 'custom', path: ['schedule', ...i.path], message: i.message });
      }
      if ('workflow_dispatch' in on && on.workflow_dispatch !== null) {
        const p = z.strictObject({ inputs: z.record(z.string(), dispatchInput).optional() }).safeParse(on.workflow_dispatch);
        if (!p.success)
          for (const i of p.error.issues) ctx.addIssue({ code: 'custom', path: ['workflow_dispatch', ...i.path], message: i.message });
      }
    }),
  ]),
  permissions: z.union([z.enum(['read-all', 'write-all']), z.record(z.string(), z.enum(['read', 'write', 'none']))]).optional(),
  env: strMap.optional(),
  defaults: z.unknown().optional(),
  concurrency: z
    .union([z.string(), z.strictObject({ group: z.string(), 'cancel-in-progress': z.union([z.boolean(), expr]).optional() })])
    .optional(),
  jobs: z.record(z.string().regex(ID), job).refine((j) => Object.keys(j).length > 0, 'at least one job'),
});
export type Workflow = z.output<typeof workflowSchema>;

const needsOf = (j: Workflow['jobs'][string]): string[] => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

/** Problems actionlint would report (beyond the syntax): one message per problem, empty when the workflow is fine. */
export function lintWorkflow(raw: unknown): string[] {
  const p = workflowSchema.safeParse(raw);
  if (!p.success) return p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const w = p.data;
  const out: string[] = [];
  const jobs = Object.keys(w.jobs);
  for (const [id, j] of Object.entries(w.jobs)) {
    for (const n of needsOf(j)) if (!jobs.includes(n)) out.push(`jobs.${id}.needs: no job '${n}'`);
    const stepIds = j.steps.map((s) => s.id).filter((x): x is string => !!x);
    if (new Set(stepIds).size !== stepIds.length) out.push(`jobs.${id}: duplicate step ids`);
    const texts = strings(j);
    for (const t of texts) {
      const opens = t.split('${{').length - 1;
      const closes = (t.match(/\}\}/g) ?? []).length;
      if (opens > closes) out.push(`jobs.${id}: an unclosed \${{ in '${t.slice(0, 60)}'`);
      for (const m of t.matchAll(/steps\.([A-Za-z_][\w-]*)\./g))
        if (!stepIds.includes(m[1]!)) out.push(`jobs.${id}: steps.${m[1]} is not a step id of the job`);
      for (const m of t.matchAll(/needs\.([A-Za-z_][\w-]*)\./g))
        if (!needsOf(j).includes(m[1]!)) out.push(`jobs.${id}: needs.${m[1]} is not in the job's needs`);
    }
    const ifs = [j.if, ...j.steps.map((s) => s.if)].filter((x): x is string => typeof x === 'string');
    for (const c of ifs) if (/\bsecrets\./.test(c)) out.push(`jobs.${id}: secrets cannot be read in an if (put them in env first)`);
  }
  // cycles
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      out.push(`jobs: a needs cycle ${[...path, id].join(' -> ')}`);
      return;
    }
    state.set(id, 'visiting');
    for (const n of needsOf(w.jobs[id]!)) if (w.jobs[n]) visit(n, [...path, id]);
    state.set(id, 'done');
  };
  jobs.forEach((id) => visit(id, []));
  return out;
}

/** Jobs in an order that respects needs. */
export function jobOrder(w: Workflow): string[] {
  const done: string[] = [];
  while (done.length < Object.keys(w.jobs).length) {
    const next = Object.keys(w.jobs).find((id) => !done.includes(id) && needsOf(w.jobs[id]!).every((n) => done.includes(n)));
    if (!next) throw new Error('needs cycle');
    done.push(next);
  }
  return done;
}
export { needsOf };
