/**
 * .github/workflows/nightly-eval.yml: checked against the documented workflow syntax and actionlint's main
 * rules (test/evals/nightly-workflow-schema.ts; a broken variant must fail the check), and run on this
 * machine: every job in needs order, its matrix expanded, its `run:` steps executed with bash in order with
 * the expressions they use evaluated (vars, secrets, inputs, matrix, needs/steps outputs, GITHUB_OUTPUT /
 * GITHUB_ENV / GITHUB_STEP_SUMMARY files), the `uses:` steps emulated (checkout: a workspace on this tree;
 * setup-node: nothing; upload/download-artifact: a local artifact store) and only `npm ci` skipped (the
 * dependencies are installed). No secrets (a fork): the reference agent on the embedded cluster and the
 * baselines from its bundles, two shards of a reduced case set, merged, reported, compared with the "last
 * successful nightly" (a stand-in `gh` that hands back the merged DB).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.ts';
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
      if (t === 'success') return true;
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
  kind: 'run' | 'uses' | 'skipped';
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

function runWorkflow(o: {
  vars: Record<string, string>;
  secrets: Record<string, string>;
  inputs: Record<string, string>;
  work: string;
  pathPrefix: string;
}): {
  log: StepLog[];
  summary: string;
  jobs: Record<string, 'success' | 'failure' | 'skipped'>;
  artifacts: string;
} {
  const w: Workflow = workflowSchema.parse(raw);
  const artifacts = join(o.work, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const summaryFile = join(o.work, 'summary.md');
  writeFileSync(summaryFile, '');
  const log: StepLog[] = [];
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
    // the matrix: the cartesian product of its (evaluated) axes
    let combos: Ctx[] = [{}];
    const m = j.strategy?.matrix as Record<string, unknown> | undefined;
    for (const [axis, vals] of Object.entries(m ?? {})) {
      const list = (typeof vals === 'string' ? interpolate(vals, jctx) : vals) as unknown[];
      combos = combos.flatMap((c) => list.map((v) => ({ ...c, [axis]: v })));
    }
    let ok = true;
    for (const matrix of combos) {
      const ws = join(o.work, `ws-${id}-${log.length}`);
      mkdirSync(ws, { recursive: true });
      const ctx: Ctx = { ...jctx, matrix, strategy: { 'job-total': combos.length }, steps: {} };
      const env: Record<string, string> = { ...wfEnv };
      for (const [k, v] of Object.entries(j.env ?? {})) env[k] = asString(interpolate(String(v), { ...ctx, env }));
      for (const [n, s] of j.steps.entries()) {
        const sctx: Ctx = { ...ctx, env };
        const name = asString(interpolate(s.name ?? s.uses ?? s.run!.split('\n')[0]!, sctx));
        if (s.if !== undefined && !evaluate(String(s.if).replace(/^\$\{\{|\}\}$/g, ''), sctx)) continue;
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
        const r = spawnSync('bash', ['-e', '-c', script], {
          cwd: ws,
          encoding: 'utf8',
          env: {
            ...process.env,
            PATH: `${o.pathPrefix}:${process.env.PATH}`,
            ...stepEnv,
            GITHUB_OUTPUT: outFile,
            GITHUB_ENV: envFile,
            GITHUB_STEP_SUMMARY: summaryFile,
          },
          maxBuffer: 256 * 1024 * 1024,
        });
        log.push({ job: id, step: name, kind: 'run', code: r.status ?? -1, seconds: (performance.now() - t0) / 1000 });
        if (r.error) throw new Error(`${id} step '${name}': ${r.error.message}`);
        if (r.status !== 0)
          throw new Error(
            `${id} (${JSON.stringify(matrix)}) step '${name}' exited ${r.status}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-3000)}`,
          );
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
      outputs[id] = Object.fromEntries(Object.entries(j.outputs ?? {}).map(([k, v]) => [k, asString(interpolate(v, { ...ctx, env }))]));
    }
    results[id] = ok ? 'success' : 'failure';
    ok = true;
  }
  return { log, summary: readFileSync(summaryFile, 'utf8'), jobs: results, artifacts };
}

describe('the nightly job runs on this machine (a fork: no secrets)', () => {
  const work = mkdtempSync(join(tmpdir(), 'nh-nightly-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('expressions: the forms the workflow uses', () => {
    const c = { vars: { A: '' }, inputs: {}, secrets: {}, needs: { p: { result: 'success', outputs: { s: '[1,2]' } } } };
    expect(evaluate("inputs.shards || vars.A || '2'", c)).toBe('2');
    expect(evaluate("secrets.OPENAI_API_KEY != ''", c)).toBe(false);
    expect(evaluate('fromJSON(needs.p.outputs.s)', c)).toEqual([1, 2]);
    expect(evaluate("always() && needs.p.result == 'success'", c)).toBe(true);
  });

  it('runs every job and step in order: reference on the embedded cluster, baselines from its bundles, merged, reported, compared', () => {
    const cases = join(work, 'cases');
    mkdirSync(cases, { recursive: true });
    for (const c of ['control-node-quiet', 'eip-snat-deleted-by-hand'])
      cpSync(join(ROOT, 'evals/cases', `${c}.yaml`), join(cases, `${c}.yaml`));
    // `gh`: the last successful nightly is this run's own merged DB (the previous nightly's artifact stand-in)
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'gh'),
      `#!/usr/bin/env bash
set -e
case "$1 $2" in
  "run list") echo 4242 ;;
  "run download") d=""; while [ $# -gt 0 ]; do [ "$1" = --dir ] && d="$2"; shift; done; cp "${join(work, 'artifacts', 'nightly-db')}/nightly.db" "$d/" ;;
  *) echo "gh stand-in: $*" >&2; exit 1 ;;
esac
`,
    );
    chmodSync(join(bin, 'gh'), 0o755);
    const r = runWorkflow({
      vars: { NETHARNESS_EVAL_CASES: cases, NETHARNESS_EVAL_SHARDS: '2' },
      secrets: {},
      inputs: {},
      work,
      pathPrefix: bin,
    });
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
