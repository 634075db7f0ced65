/**
 * .github/workflows/nightly-eval.yml: checked against the documented workflow syntax and actionlint's main
 * rules (test/evals/nightly-workflow-schema.ts; a broken variant must fail the check), and run on this
 * machine: every job in needs order, its matrix expanded, its `run:` steps executed with bash in order with
 * the expressions they use evaluated (vars, secrets, inputs, matrix, needs/steps outputs, GITHUB_OUTPUT /
 * GITHUB_ENV / GITHUB_STEP_SUMMARY files), the `uses:` steps emulated (checkout: a workspace on this tree;
 * setup-node: nothing; upload/download-artifact: a local artifact store) and only `npm ci` skipped (the
 * dependencies are installed). No secrets (a fork): the reference agent on the embedded cluster and the
 * baselines from its bundles, two shards of a reduced case set, merged, reported, compared with the "last
 * successful nightly" (a stand-in `gh` that hands back the merged DB). With a model configured and its key
 * set: the model matrix replays the bundles against a local fake model server (test/support/fake-llm.ts,
 * OpenAI Chat Completions) two nights running; the second night's model answers worse, and the regression
 * gate, comparing with the first night's database, fails the report job naming the model.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.ts';
import { startFakeLlm, type Brain, type FakeLlm } from '../support/fake-llm.ts';
import { tempDir } from '../support/tmp.ts';
import { jobOrder, lintWorkflow, needsOf, workflowSchema, type Workflow } from './nightly-workflow-schema.ts';

const FILE = join(ROOT, '.github/workflows/nightly-eval.yml');
const raw = YAML.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;

describe('nightly-eval.yml is a valid workflow', () => {
  it('passes the workflow syntax and the lint rules', () => {
    expect(lintWorkflow(raw)).toEqual([]);
  });
  it('runs nightly and on demand, the reference agent always, keys only from secrets, artifacts and summary written', () => {
    const w = workflowSchema.parse(raw);
    const on = w.on as Record<string, unknown>;
    expect(on.schedule).toBeDefined();
    expect('workflow_dispatch' in on).toBe(true);
    const text = readFileSync(FILE, 'utf8');
    expect(text).toMatch(/--agent reference/);
    expect(text).toMatch(/OPENAI_API_KEY: \$\{\{ secrets\.OPENAI_API_KEY \}\}/);
    expect(text).not.toMatch(/echo[^\n]*secrets\./);
    expect(text).toMatch(/GITHUB_STEP_SUMMARY/);
    expect(text).toMatch(/harness\/cli\.ts merge/);
    expect(text).toMatch(/harness\/cli\.ts compare/);
    const uses = Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter(Boolean));
    expect(uses).toContain('actions/upload-artifact@v4');
  });
  it('the check fails on broken workflows', () => {
    const broken = structuredClone(raw) as { jobs: Record<string, { needs?: unknown; steps: Record<string, unknown>[]; if?: string }> };
    broken.jobs.report!.needs = ['reference', 'nope'];
    broken.jobs.plan!.steps[0]!.uses = 'actions/checkout@v4';
    broken.jobs.agents!.if = "secrets.OPENAI_API_KEY != ''";
    const errs = lintWorkflow(broken).join('\n');
    expect(errs).toMatch(/exactly one of uses and run/);
    const b2 = structuredClone(raw) as typeof broken;
    b2.jobs.report!.needs = ['reference', 'nope'];
    b2.jobs.agents!.if = "secrets.OPENAI_API_KEY != ''";
    (b2.jobs.plan as Record<string, unknown>)['runs_on'] = 'x';
    expect(lintWorkflow(b2).join('\n')).toMatch(/runs_on/);
    delete (b2.jobs.plan as Record<string, unknown>)['runs_on'];
    const e2 = lintWorkflow(b2).join('\n');
    expect(e2).toMatch(/no job 'nope'/);
    expect(e2).toMatch(/secrets cannot be read in an if/);
    expect(lintWorkflow({ ...raw, on: { schedule: [{ cron: '17 3 * *' }] } }).join('\n')).toMatch(/five fields/);
  });
});

// ------------------------------------------------------------------ a small evaluator of the expressions used

type Ctx = Record<string, unknown>;

/** GitHub expressions: paths, 'strings', numbers, ! || && == !=, (), fromJSON(), toJSON(), always(), success(). */
export function evaluate(src: string, ctx: Ctx): unknown {
  const toks = src.match(/'(?:[^']|'')*'|\|\||&&|==|!=|!|\(|\)|,|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?|\S/g) ?? [];
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const truthy = (v: unknown) => !(v === '' || v === 0 || v === false || v === null || v === undefined);
  const get = (path: string): unknown =>
    path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Ctx)[k] : undefined), ctx);
  const primary = (): unknown => {
    const t = next();
    if (t === undefined) throw new Error(`expression ended early: ${src}`);
    if (t === '(') {
      const v = or();
      next();
      return v;
    }
    if (t === '!') return !truthy(primary());
    if (t.startsWith("'")) return t.slice(1, -1).replaceAll("''", "'");
    if (/^\d/.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (peek() === '(') {
      next();
      const args: unknown[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() === ',') next();
      }
      next();
      if (t === 'fromJSON') return JSON.parse(String(args[0]));
      if (t === 'toJSON') return JSON.stringify(args[0]);
      if (t === 'always') return true;
      // the job's status so far (steps) or the needed jobs' (a job's if)
      if (t === 'success') return ctx.failed !== true;
      if (t === 'failure') return ctx.failed === true;
      throw new Error(`function ${t} not emulated`);
    }
    return get(t);
  };
  const cmp = (): unknown => {
    let l = primary();
    while (peek() === '==' || peek() === '!=') {
      const op = next();
      const r = primary();
      const eq = String(l ?? '') === String(r ?? '');
      l = op === '==' ? eq : !eq;
    }
    return l;
  };
  const and = (): unknown => {
    let l = cmp();
    while (peek() === '&&') {
      next();
      const r = cmp();
      l = truthy(l) ? r : l;
    }
    return l;
  };
  const or = (): unknown => {
    let l = and();
    while (peek() === '||') {
      next();
      const r = and();
      l = truthy(l) ? l : r;
    }
    return l;
  };
  const v = or();
  if (i < toks.length) throw new Error(`unparsed rest of '${src}' at '${toks[i]}'`);
  return v;
}

/** `${{ }}` in a string: the value itself when the string is one expression, else interpolated. */
function interpolate(s: string, ctx: Ctx): unknown {
  const whole = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(s);
  if (whole && !whole[1]!.includes('}}')) return evaluate(whole[1]!, ctx);
  return s.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => {
    const v = evaluate(e, ctx);
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}
const asString = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

// ------------------------------------------------------------------ the runner

interface StepLog {
  job: string;
  step: string;
  kind: 'run' | 'uses' | 'skipped' | 'reused';
  code: number;
  seconds: number;
}

function globToRe(g: string): RegExp {
  let re = '';
  for (let k = 0; k < g.length; k++) {
    const c = g[k]!;
    if (c === '*') re += '[^/]*';
    else if (c === '{') {
      const end = g.indexOf('}', k);
      re += `(${g
        .slice(k + 1, end)
        .split(',')
        .map((x) => x.replace(/[.+?^$()|[\]\\]/g, '\\$&'))
        .join('|')})`;
      k = end;
    } else re += c.replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function expandPaths(ws: string, spec: string): string[] {
  return spec
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((p) => {
      if (!p.includes('*')) return existsSync(join(ws, p)) ? [p] : [];
      const dir = p.slice(0, p.lastIndexOf('/'));
      const re = globToRe(basename(p));
      return existsSync(join(ws, dir))
        ? readdirSync(join(ws, dir))
            .filter((n) => re.test(n))
            .map((n) => `${dir}/${n}`)
        : [];
    });
}

/** bash -e -c SCRIPT, without blocking the event loop (a fake model server may live in this process) */
function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn('bash', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // the tails are enough for a failure message
    c.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-64 * 1024)));
    c.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-64 * 1024)));
    c.on('error', reject);
    c.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

interface StepFailure {
  job: string;
  matrix: string;
  step: string;
  code: number;
  output: string;
}

/** Run the workflow as Actions would: a failing step fails its job (later steps run only under always()). */
async function runWorkflow(o: {
  vars: Record<string, string>;
  secrets: Record<string, string>;
  inputs: Record<string, string>;
  work: string;
  pathPrefix: string;
  /**
   * Jobs taken from an earlier run of this workflow instead of run again, as Actions' "Re-run failed jobs" does
   * with the jobs that succeeded: their artifacts (`artifacts`, the names the job uploads, by prefix) are copied
   * into this run's, and they count as succeeded.
   */
  reuse?: { artifacts: string; jobs: Record<string, string[]> };
}): Promise<{
  log: StepLog[];
  summary: string;
  jobs: Record<string, 'success' | 'failure' | 'skipped'>;
  artifacts: string;
  failures: StepFailure[];
}> {
  const w: Workflow = workflowSchema.parse(raw);
  const artifacts = join(o.work, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const summaryFile = join(o.work, 'summary.md');
  writeFileSync(summaryFile, '');
  const log: StepLog[] = [];
  const failures: StepFailure[] = [];
  const results: Record<string, 'success' | 'failure' | 'skipped'> = {};
  const outputs: Record<string, Record<string, string>> = {};
  const base: Ctx = {
    vars: o.vars,
    secrets: { GITHUB_TOKEN: 'x', ...o.secrets },
    inputs: o.inputs,
    github: { token: 'fake-token', run_id: '1' },
  };
  const wfEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(w.env ?? {})) wfEnv[k] = asString(interpolate(String(v), { ...base, env: wfEnv }));
  for (const id of jobOrder(w)) {
    const j = w.jobs[id]!;
    const needs = Object.fromEntries(needsOf(j).map((n) => [n, { result: results[n], outputs: outputs[n] ?? {} }]));
    const jctx: Ctx = { ...base, needs, env: wfEnv };
    if (typeof j.if === 'string' && !evaluate(j.if.replace(/^\$\{\{|\}\}$/g, ''), jctx)) {
      results[id] = 'skipped';
      continue;
    }
    if (needsOf(j).some((n) => results[n] !== 'success') && j.if === undefined) {
      results[id] = 'skipped';
      continue;
    }
    const reused = o.reuse?.jobs[id];
    if (reused) {
      const names = readdirSync(o.reuse!.artifacts).filter((a) => reused.some((p) => a.startsWith(p)));
      if (!names.length) throw new Error(`${id}: nothing to reuse in ${o.reuse!.artifacts} (${reused.join(', ')})`);
      for (const a of names) cpSync(join(o.reuse!.artifacts, a), join(artifacts, a), { recursive: true });
      log.push({ job: id, step: `reused: ${names.join(', ')}`, kind: 'reused', code: 0, seconds: 0 });
      results[id] = 'success';
      continue;
    }
    // the matrix: the cartesian product of its (evaluated) axes
    let combos: Ctx[] = [{}];
    const m = j.strategy?.matrix as Record<string, unknown> | undefined;
    for (const [axis, vals] of Object.entries(m ?? {})) {
      const list = (typeof vals === 'string' ? interpolate(vals, jctx) : vals) as unknown[];
      combos = combos.flatMap((c) => list.map((v) => ({ ...c, [axis]: v })));
    }
    let jobOk = true;
    for (const matrix of combos) {
      let ok = true;
      const ws = join(o.work, `ws-${id}-${log.length}`);
      mkdirSync(ws, { recursive: true });
      const ctx: Ctx = { ...jctx, matrix, strategy: { 'job-total': combos.length }, steps: {} };
      const env: Record<string, string> = { ...wfEnv };
      for (const [k, v] of Object.entries(j.env ?? {})) env[k] = asString(interpolate(String(v), { ...ctx, env }));
      for (const [n, s] of j.steps.entries()) {
        const sctx: Ctx = { ...ctx, env, failed: !ok };
        const name = asString(interpolate(s.name ?? s.uses ?? s.run!.split('\n')[0]!, sctx));
        if (!evaluate(s.if !== undefined ? String(s.if).replace(/^\$\{\{|\}\}$/g, '') : 'success()', sctx)) continue;
        const t0 = performance.now();
        const with_ = Object.fromEntries(Object.entries(s.with ?? {}).map(([k, v]) => [k, asString(interpolate(String(v), sctx))]));
        if (s.uses) {
          const action = s.uses.split('@')[0];
          if (action === 'actions/checkout') {
            for (const e of readdirSync(ROOT)) if (e !== 'results' && e !== '.git') symlinkSync(join(ROOT, e), join(ws, e));
          } else if (action === 'actions/upload-artifact') {
            const files = expandPaths(ws, with_.path!);
            if (!files.length && with_['if-no-files-found'] === 'error')
              throw new Error(`${id}: upload ${with_.name}: no files at ${with_.path}`);
            const dest = join(artifacts, with_.name!);
            for (const f of files) {
              const st = statSync(join(ws, f));
              if (st.isDirectory()) cpSync(join(ws, f), dest, { recursive: true });
              else cpSync(join(ws, f), join(dest, basename(f)));
            }
          } else if (action === 'actions/download-artifact') {
            const re = globToRe(with_.pattern ?? with_.name!);
            for (const a of readdirSync(artifacts).filter((x) => re.test(x)))
              cpSync(join(artifacts, a), with_['merge-multiple'] === 'true' ? join(ws, with_.path!) : join(ws, with_.path!, a), {
                recursive: true,
              });
          } else if (action !== 'actions/setup-node') throw new Error(`action ${s.uses} not emulated`);
          log.push({ job: id, step: name, kind: 'uses', code: 0, seconds: (performance.now() - t0) / 1000 });
          continue;
        }
        if (s.run!.trim() === 'npm ci') {
          log.push({ job: id, step: name, kind: 'skipped', code: 0, seconds: 0 });
          continue;
        }
        const stepEnv = { ...env };
        for (const [k, v] of Object.entries(s.env ?? {})) stepEnv[k] = asString(interpolate(String(v), sctx));
        const outFile = join(o.work, `out-${log.length}`);
        const envFile = join(o.work, `env-${log.length}`);
        writeFileSync(outFile, '');
        writeFileSync(envFile, '');
        const script = asString(interpolate(s.run!, sctx));
        const r = await bash(script, ws, {
          ...process.env,
          PATH: `${o.pathPrefix}:${process.env.PATH}`,
          ...stepEnv,
          GITHUB_OUTPUT: outFile,
          GITHUB_ENV: envFile,
          GITHUB_STEP_SUMMARY: summaryFile,
        });
        log.push({ job: id, step: name, kind: 'run', code: r.status, seconds: (performance.now() - t0) / 1000 });
        if (r.status !== 0) {
          ok = false;
          failures.push({
            job: id,
            matrix: JSON.stringify(matrix),
            step: name,
            code: r.status,
            output: `${r.stdout.slice(-1500)}\n${r.stderr.slice(-3000)}`,
          });
        }
        if (s.id)
          (ctx.steps as Ctx)[s.id] = {
            outputs: Object.fromEntries(
              readFileSync(outFile, 'utf8')
                .split('\n')
                .filter((l) => l.includes('='))
                .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
            ),
          };
        for (const l of readFileSync(envFile, 'utf8').split('\n'))
          if (l.includes('=')) env[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
        void n;
      }
      jobOk &&= ok;
      outputs[id] = Object.fromEntries(Object.entries(j.outputs ?? {}).map(([k, v]) => [k, asString(interpolate(v, { ...ctx, env }))]));
    }
    results[id] = jobOk ? 'success' : 'failure';
  }
  return { log, summary: readFileSync(summaryFile, 'utf8'), jobs: results, artifacts, failures };
}

/**
 * A stand-in `gh` on PATH for the regression gate: `gh run list` runs `runList` (prints the last nightly's run id, or
 * nothing), `gh run download ... --dir D` runs `download` with `$d` set to D; anything else fails.
 */
function standInGh(bin: string, runList: string, download: string): void {
  writeFileSync(
    join(bin, 'gh'),
    `#!/usr/bin/env bash
set -e
case "$1 $2" in
  "run list") ${runList} ;;
  "run download") d=""; while [ $# -gt 0 ]; do [ "$1" = --dir ] && d="$2"; shift; done; ${download} ;;
  *) echo "gh stand-in: $*" >&2; exit 1 ;;
esac
`,
  );
  chmodSync(join(bin, 'gh'), 0o755);
}

describe('the nightly job runs on this machine (a fork: no secrets)', () => {
  const work = tempDir('nh-nightly-test-');

  it('expressions: the forms the workflow uses', () => {
    const c = { vars: { A: '' }, inputs: {}, secrets: {}, needs: { p: { result: 'success', outputs: { s: '[1,2]' } } } };
    expect(evaluate("inputs.shards || vars.A || '2'", c)).toBe('2');
    expect(evaluate("secrets.OPENAI_API_KEY != ''", c)).toBe(false);
    expect(evaluate('fromJSON(needs.p.outputs.s)', c)).toEqual([1, 2]);
    expect(evaluate("always() && needs.p.result == 'success'", c)).toBe(true);
  });

  it('runs every job and step in order: reference on the embedded cluster, baselines from its bundles, merged, reported, compared', async () => {
    const cases = join(work, 'cases');
    mkdirSync(cases, { recursive: true });
    for (const c of ['control-node-quiet', 'eip-snat-deleted-by-hand'])
      cpSync(join(ROOT, 'evals/cases', `${c}.yaml`), join(cases, `${c}.yaml`));
    // `gh`: the last successful nightly is this run's own merged DB (the previous nightly's artifact stand-in)
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    standInGh(bin, 'echo 4242', `cp "${join(work, 'artifacts', 'nightly-db')}/nightly.db" "$d/"`);
    const r = await runWorkflow({
      // a model is configured but its key is not set (a fork): it does not run
      vars: {
        NETHARNESS_EVAL_CASES: cases,
        NETHARNESS_EVAL_SHARDS: '2',
        NETHARNESS_EVAL_MODELS: '[{"agent":"openai","model":"gpt-4o-mini"}]',
      },
      secrets: {},
      inputs: {},
      work,
      pathPrefix: bin,
    });
    expect(r.failures).toEqual([]);
    expect(r.jobs).toEqual({ plan: 'success', reference: 'success', agents: 'success', report: 'success' });
    // in order, every run step ran (exit 0), only npm ci skipped
    expect(r.log.filter((l) => l.kind === 'skipped').map((l) => l.step)).toEqual(Array(7).fill('npm ci'));
    const jobsInOrder = [...new Set(r.log.map((l) => l.job))];
    expect(jobsInOrder).toEqual(['plan', 'reference', 'agents', 'report']);
    expect(r.log.filter((l) => l.job === 'reference' && /Reference agent/.test(l.step))).toHaveLength(2);
    expect(r.log.filter((l) => l.job === 'agents' && /Replay/.test(l.step))).toHaveLength(4);
    const summary = r.summary;
    expect(summary).toMatch(/# Nightly eval/);
    expect(summary).toMatch(/## Shard 1\/2/);
    expect(summary).toMatch(/## Shard 2\/2/);
    expect(summary).toMatch(/Compared with nightly run 4242/);
    expect(summary).toMatch(/reference.*no regression/);
    expect(summary).not.toMatch(/regression\*\*/);
    expect(readdirSync(r.artifacts).sort()).toEqual(
      expect.arrayContaining([
        'bundles-1',
        'bundles-2',
        'nightly-db',
        'nightly-reports',
        'reference-1',
        'reference-2',
        'agent-constant-1',
        'agent-random-2',
      ]),
    );
    const timings = r.log.filter((l) => l.kind === 'run').map((l) => `${l.job}: ${l.step.slice(0, 50)} ${l.seconds.toFixed(1)} s`);
    process.stderr.write(`nightly steps:\n${timings.join('\n')}\n`);
  }, 1_800_000);
});

// ------------------------------------------------------------------ the model matrix, against a fake model server

const CANARY = 'nh.canary.nightly.Key.31337'; // not key-shaped: only our own care keeps it out of files
const MODEL_CASE = 'control-node-quiet';

/** A fake model for the node control: one look at the nodes, then an answer (healthy, or a made-up fault). */
const nodeBrain =
  (healthy: boolean): Brain =>
  (c) => {
    const usage = { input: 900 + 300 * c.turn, output: 40 + c.turn };
    if (c.turn === 0) return { text: 'Looking at the nodes.', toolCalls: [{ name: 'k8s_list', args: { kind: 'Node' } }], usage };
    if (c.turn === 1 && c.tools.includes('submit_rca'))
      return {
        toolCalls: [
          {
            name: 'submit_rca',
            args: healthy
              ? {
                  detected: false,
                  entities: [],
                  mechanism: 'the node is Ready and its networking is healthy',
                  remediation: 'nothing to do',
                }
              : {
                  detected: true,
                  category: 'k8s/pod-failure',
                  entities: ['default'],
                  mechanism: 'a pod is crash looping',
                  remediation: 'restart it',
                },
          },
        ],
        usage,
      };
    return { text: 'submitted', usage };
  };

describe('the nightly job with a model configured and its key set, against a local fake model server', () => {
  const work = tempDir('nh-nightly-model-');
  const cases = join(work, 'cases');
  let fake: FakeLlm;
  const nights: Awaited<ReturnType<typeof runWorkflow>>[] = [];
  beforeAll(async () => {
    mkdirSync(cases, { recursive: true });
    cpSync(join(ROOT, 'evals/cases', `${MODEL_CASE}.yaml`), join(cases, `${MODEL_CASE}.yaml`));
    fake = await startFakeLlm({ apiKey: CANARY, brain: nodeBrain(true) });
  });
  afterAll(() => fake?.close());

  /**
   * one nightly run; `previous`: the nightly-db artifact `gh run download` hands back (none: the first nightly);
   * `reuse`: an earlier night's artifacts dir whose reference job (the reference agent on the embedded cluster and
   * its bundles, the same for every night: only the model changes) this night takes instead of running it again
   */
  async function night(n: number, previous?: string, reuse?: string) {
    const w = join(work, `night-${n}`);
    const bin = join(w, 'bin');
    mkdirSync(bin, { recursive: true });
    standInGh(bin, previous ? 'echo 1001' : 'true', previous ? `cp "${previous}/nightly.db" "$d/"` : 'exit 1');
    const r = await runWorkflow({
      vars: {
        NETHARNESS_EVAL_CASES: cases,
        NETHARNESS_EVAL_SHARDS: '1',
        NETHARNESS_EVAL_MODELS: JSON.stringify([{ agent: 'openai', model: 'fake-rca', baseUrl: fake.url }]),
      },
      secrets: { OPENAI_API_KEY: CANARY },
      inputs: {},
      work: w,
      pathPrefix: bin,
      ...(reuse ? { reuse: { artifacts: reuse, jobs: { reference: ['reference-', 'bundles-'] } } } : {}),
    });
    nights.push(r);
    const timings = r.log.filter((l) => l.kind === 'run').map((l) => `${l.job}: ${l.step.slice(0, 60)} ${l.seconds.toFixed(1)} s`);
    process.stderr.write(`nightly (model) night ${n} steps:\n${timings.join('\n')}\n`);
    return r;
  }

  it('night 1: the model replays the bundles through the fake server, scored, usage per step stored, reported', async () => {
    const r = await night(1);
    expect(r.failures).toEqual([]);
    expect(r.jobs).toEqual({ plan: 'success', reference: 'success', agents: 'success', report: 'success' });
    const replays = r.log.filter((l) => l.job === 'agents' && /^Replay/.test(l.step)).map((l) => l.step);
    expect(replays).toHaveLength(3);
    expect(replays.some((s) => /openai fake-rca/.test(s))).toBe(true);
    // two model steps through the real Chat Completions protocol, with the key from the secret
    const ok = fake.journal.filter((j) => j.status === 200);
    expect(ok).toHaveLength(2);
    expect(ok.every((j) => j.keyMatched && j.body.model === 'fake-rca')).toBe(true);
    expect(((ok[0]!.body.tools as { function: { name: string } }[]) ?? []).map((t) => t.function.name)).toContain('k8s_list');
    // the stored trial: scored, passed; usage per step beside the total, and they agree
    const db = new Database(join(r.artifacts, 'nightly-db', 'nightly.db'), { readonly: true });
    const row = db
      .prepare(
        "SELECT t.effort AS effort, s.passed AS passed FROM eval_trials t JOIN runs r ON r.id = t.run_id JOIN eval_scores s ON s.trial_id = t.id WHERE json_extract(r.params, '$.agent') = 'openai'",
      )
      .all() as { effort: string; passed: number }[];
    db.close();
    expect(row).toHaveLength(1);
    expect(row[0]!.passed).toBe(1);
    const effort = JSON.parse(row[0]!.effort) as {
      inputTokens: number;
      outputTokens: number;
      steps: number;
      usageSteps: { step: number; inputTokens: number; outputTokens: number }[];
    };
    expect(effort.usageSteps.map((s) => [s.step, s.inputTokens, s.outputTokens])).toEqual([
      [1, 900, 40],
      [2, 1200, 41],
    ]);
    expect(effort).toMatchObject({ steps: 2, inputTokens: 2100, outputTokens: 81 });
    expect(r.summary).toMatch(/openai\/fake-rca x netharness/);
    expect(r.summary).toMatch(/no successful nightly to compare with yet/);
  }, 1_200_000);

  it('night 2: the model got worse: the gate compares with night 1 and fails the report job naming the model', async () => {
    expect(nights).toHaveLength(1);
    fake.setBrain(nodeBrain(false));
    // night 1's reference job (its run and bundles) is reused: the baselines and the model replay them again
    const r = await night(2, join(nights[0]!.artifacts, 'nightly-db'), nights[0]!.artifacts);
    expect(r.jobs).toEqual({ plan: 'success', reference: 'success', agents: 'success', report: 'failure' });
    expect(r.log.filter((l) => l.job === 'reference').map((l) => l.kind)).toEqual(['reused']);
    const replays = r.log.filter((l) => l.job === 'agents' && /^Replay/.test(l.step));
    expect(replays.map((l) => l.code)).toEqual([0, 0, 0]);
    expect(replays.some((l) => /openai fake-rca/.test(l.step))).toBe(true);
    expect(r.failures.map((f) => `${f.job}: ${f.step} exited ${f.code}`)).toEqual([
      'report: Compare with the last successful nightly exited 1',
    ]);
    expect(r.summary).toMatch(/Compared with nightly run 1001/);
    expect(r.summary).toMatch(/- \["openai","fake-rca","1\/1"\]: \*\*regression\*\*/);
    expect(r.summary).toMatch(/score:overall/);
    for (const agent of ['reference', 'constant', 'random'])
      expect(r.summary).toMatch(new RegExp(`- \\["${agent}","","1/1"\\]: no regression`));
    // the artifacts were still uploaded (if: always())
    expect(readdirSync(r.artifacts)).toEqual(expect.arrayContaining(['nightly-db', 'nightly-reports']));
  }, 1_200_000);

  it('the key appears in no artifact, summary or work file of either night', () => {
    expect(nights).toHaveLength(2);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        const st = statSync(p, { throwIfNoEntry: false });
        if (st?.isDirectory()) walk(p);
        else if (st?.isFile()) files.push(p);
      }
    };
    // the workspaces link the project's files (checkout): only what the nights wrote is searched
    for (const n of [1, 2]) {
      const d = join(work, `night-${n}`);
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (!e.startsWith('ws-')) {
          if (statSync(p).isDirectory()) walk(p);
          else files.push(p);
        } else if (existsSync(join(p, 'results'))) walk(join(p, 'results'));
      }
    }
    expect(files.some((f) => f.endsWith('nightly.db'))).toBe(true);
    for (const f of files) expect(readFileSync(f).includes(CANARY), f).toBe(false);
    for (const r of nights) expect(r.summary).not.toContain(CANARY);
  });
});
