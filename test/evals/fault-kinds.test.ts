/**
 * End to end through `netharness eval` on one embedded cluster this file starts (`--kubeconfig`, so the suite's
 * cases run from liveSafe copies in a temp dir: the same files, only the flag flipped):
 *  - budgets: a scripted agent that spends past --max-steps is stopped and its trial is scored as failed on its
 *    budget (not infra, not retried); within the budget the same script passes; an agent that never reports its
 *    tokens is judged on its result's totals against --max-tokens; a rescore keeps the budget's verdict;
 *  - fault kinds: a node action (kubelet stopped through a debug pod, back by itself) behind a metric gate
 *    (kube_node_status_condition through Prometheus), and a Chaos Mesh StressChaos on the PTP daemon: the
 *    reference agent solves both at every level and the cluster is healed afterwards (node Ready, no chaos
 *    object, no debug pod left);
 *  - the embedded API keeps an object's name under merge / JSON / strategic patches that carry metadata (kubectl).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, kubectlFor, runCli, startDetachedSim, stopSim } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'eval-fault-kinds-'));
const simDir = join(dir, 'sim');
const casesDir = join(dir, 'cases');
let kubeconfig = '';
const kubectl = kubectlFor(() => kubeconfig);

interface TrialOut {
  case: string;
  status: string;
  passed: boolean | null;
  scores: Record<string, number | null> | null;
  budget: { exceeded: string; limit: number; used: number; message: string } | null;
  effort: { steps?: number; inputTokens: number; outputTokens: number };
  infraError: string | null;
  attempts: number;
}
interface RunOut {
  runId: string;
  trials: TrialOut[];
  summary: { overBudget: number; infra: number; scored: number; passed: number };
}

/** A suite case copied with liveSafe: true (this file's cluster is disposable). */
function liveCopy(id: string): string {
  const src = readFileSync(join(ROOT, 'evals/cases', `${id}.yaml`), 'utf8');
  if (!/^liveSafe: false$/m.test(src)) throw new Error(`${id}: expected liveSafe: false`);
  const f = join(casesDir, `${id}.yaml`);
  writeFileSync(f, src.replace(/^liveSafe: false$/m, 'liveSafe: true'));
  return f;
}

async function evalRun(args: string[]): Promise<{ code: number | null; out: RunOut; stderr: string }> {
  const r = await runCli(['eval', '--kubeconfig', kubeconfig, '--retries', '1', '--json', ...args]);
  return { code: r.code, out: JSON.parse(r.stdout || '{}') as RunOut, stderr: r.stderr };
}

beforeAll(() => {
  mkdirSync(casesDir);
  kubeconfig = startDetachedSim(simDir, { speed: 20, nodes: '1+3' });
}, 200_000);
afterAll(() => {
  stopSim(simDir);
  rmSync(dir, { recursive: true, force: true });
});

describe('budgets (--max-steps, --max-tokens) with a scripted agent', () => {
  const script = (name: string, steps: unknown[]): string => {
    const f = join(dir, name);
    writeFileSync(
      f,
      JSON.stringify({
        steps: [
          { call: 'k8s_list', args: { kind: 'Node' } },
          ...steps,
          { submit: { detected: false, entities: [], mechanism: 'nothing is wrong with the node', remediation: 'nothing' } },
        ],
        text: 'the node is healthy',
      }),
    );
    return f;
  };
  const threeSteps = [1, 2, 3].map(() => ({ spend: { steps: 1, inputTokens: 200, outputTokens: 50 } }));

  it('over --max-steps: stopped at once, scored failed on its budget (not infra, not retried); rescore keeps it', async () => {
    const control = liveCopy('control-node-quiet');
    const db = join(dir, 'steps.db');
    // the same three-step script, under a step budget of `maxSteps`
    const scripted = (maxSteps: number) =>
      evalRun([
        '--cases',
        control,
        '--agent',
        'scripted',
        '--agent-param',
        `script=${script('s.json', threeSteps)}`,
        '--max-steps',
        String(maxSteps),
        '--db',
        db,
      ]);
    const over = await scripted(2);
    expect(over.code, over.stderr.slice(-3000)).toBe(0);
    const t = over.out.trials[0];
    expect(t).toMatchObject({ status: 'scored', passed: false, infraError: null, attempts: 1 });
    expect(t.budget).toMatchObject({ exceeded: 'steps', limit: 2, used: 3 });
    expect(t.scores?.overall).toBe(0);
    expect(t.scores?.detection).toBe(0);
    expect(over.out.summary).toMatchObject({ overBudget: 1, infra: 0 });
    expect(over.stderr).toMatch(/over budget: 3 steps used, --max-steps 2/);
    // the agent was stopped before its submit_rca: no answer was recorded through the proxy
    const show = await runCli(['runs', 'show', over.out.runId, '--db', db, '--json']);
    const calls = (JSON.parse(show.stdout) as { eval: { trials: { toolCalls: { tool: string }[] }[] } }).eval.trials[0].toolCalls;
    expect(calls.map((c) => c.tool)).toEqual(['k8s_list']);
    const re = await runCli(['eval', 'rescore', over.out.runId, '--db', db, '--json']);
    expect(re.code, re.stderr).toBe(0);
    expect((JSON.parse(re.stdout) as { passed: number; rescored: number }).passed).toBe(0);

    // the same script within the budget passes (the budget, nothing else, failed it)
    const within = await scripted(3);
    expect(within.code, within.stderr.slice(-3000)).toBe(0);
    expect(within.out.trials[0]).toMatchObject({ status: 'scored', passed: true, budget: null });
    expect(within.out.trials[0].effort).toMatchObject({ steps: 3, inputTokens: 600, outputTokens: 150 });
  }, 300_000);

  it('over --max-tokens without reporting: judged on the totals the agent returns', async () => {
    const r = await evalRun([
      '--cases',
      liveCopy('control-node-quiet'),
      '--agent',
      'scripted',
      '--agent-param',
      `script=${script('t.json', [{ spend: { steps: 1, inputTokens: 800, outputTokens: 300 } }])}`,
      '--agent-param',
      'report=false',
      '--max-tokens',
      '1000',
      '--db',
      join(dir, 'tokens.db'),
    ]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.out.trials[0]).toMatchObject({ status: 'scored', passed: false, infraError: null });
    expect(r.out.trials[0].budget).toMatchObject({ exceeded: 'tokens', limit: 1000, used: 1100 });
  }, 300_000);
});

describe('fault kinds end to end: node action, metric gate, Chaos Mesh', () => {
  it('the reference agent solves a NotReady node (metric gate) and a StressChaos case; the cluster is healed', async () => {
    const ids = ['node-kubelet-stopped', 'ptp-cpu-starved'];
    const files = ids.map(liveCopy);
    // what this test is for: the cases keep these kinds (a case rewritten without them fails here, not silently)
    const docs = files.map((f) => parse(readFileSync(f, 'utf8')) as { fault: { kind: string }[]; gate: { all: { kind: string }[] } });
    expect(docs[0].fault.map((s) => s.kind)).toContain('node-action');
    expect(docs[0].gate.all.map((g) => g.kind)).toContain('metric');
    expect(docs[1].fault.map((s) => s.kind)).toContain('chaos');
    const r = await evalRun(['--cases', casesDir + '/{node-kubelet-stopped,ptp-cpu-starved}.yaml', '--db', join(dir, 'kinds.db')]);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    expect(r.out.trials.map((t) => t.case).sort()).toEqual(ids);
    for (const t of r.out.trials) {
      expect(t.status, `${t.case}: ${t.infraError}`).toBe('scored');
      expect(t.attempts, `${t.case} needed a retry`).toBe(1);
      expect(t.passed, `${t.case}: ${JSON.stringify(t.scores)}`).toBe(true);
      for (const l of ['detection', 'localization', 'category', 'mechanism', 'remediation'])
        expect(t.scores?.[l], `${t.case} ${l}`).toBe(1);
    }
    // healed: the heal found nothing to complain about, every node Ready, no chaos object or debug pod left
    expect(r.stderr).not.toMatch(/heal: .*(timed out|still unhealthy)/);
    const nodes = kubectl(
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}',
    );
    expect(
      nodes.stdout
        .trim()
        .split(' ')
        .every((x) => x.endsWith('=True')),
      nodes.stdout,
    ).toBe(true);
    expect(kubectl('get', 'stresschaos', '-A', '-o', 'name').stdout.trim()).toBe('');
    expect(kubectl('get', 'pods', '-n', 'default', '-o', 'name').stdout).not.toMatch(/-debug-/);
  }, 600_000);
});

describe('the embedded API: patches that carry metadata (kubectl)', () => {
  it("merge, JSON and strategic patches keep the object's name; renaming through a patch is refused", () => {
    expect(kubectl('create', 'configmap', 'patched', '-n', 'default', '--from-literal=a=1').code).toBe(0);
    // kubectl patch of the ConfigMap: patch type, patch, output
    const patchCm = (type: string, patch: string, output: string) =>
      kubectl('patch', 'configmap', 'patched', '-n', 'default', '--type', type, '-p', patch, '-o', output);
    const merge = patchCm('merge', '{"metadata":{"labels":{"x":"y"}},"data":{"b":"2"}}', 'json');
    expect(merge.code, merge.stderr).toBe(0);
    const m = JSON.parse(merge.stdout) as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> };
    expect(m.metadata).toMatchObject({ name: 'patched', labels: { x: 'y' } });
    expect(m.data).toEqual({ a: '1', b: '2' });
    const json = patchCm('json', '[{"op":"add","path":"/metadata/labels/z","value":"w"}]', 'jsonpath={.metadata.name}');
    expect(json.stdout).toBe('patched');
    const sm = kubectl(
      'patch',
      'node',
      'worker-1',
      '--type',
      'strategic',
      '-p',
      '{"metadata":{"labels":{"s":"t"}}}',
      '-o',
      'jsonpath={.metadata.name}',
    );
    expect(sm.stdout).toBe('worker-1');
    const rename = kubectl('patch', 'configmap', 'patched', '-n', 'default', '--type', 'merge', '-p', '{"metadata":{"name":"other"}}');
    expect(rename.code).not.toBe(0);
    expect(rename.stderr).toMatch(/does not match the name on the URL/);
    expect(kubectl('get', 'configmap', '-n', 'default', 'other').code).not.toBe(0);
    expect(kubectl('label', 'node', 'worker-1', 's-').code).toBe(0);
  }, 60_000);
});
