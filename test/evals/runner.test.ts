/**
 * The eval runner's pure parts and its input boundaries: flag parsing (exit 2 naming the option), suite
 * selection, trial planning (setup groups, seeds), sim sizing, the summary (overhead median / p95), the
 * OVSDB dump parser of the snapshots, and the eval tables' round trip. No cluster.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../harness/store/store.ts';
import { parseRunFlags } from '../../evals/runner/command.ts';
import { planTrials, selectCases, simNodesFor, summarise, type TrialJson } from '../../evals/runner/run.ts';
import { parseOvsdbDump, withoutSubjects } from '../../evals/runner/snapshot.ts';
import { diffSnapshots } from '../../evals/scoring/index.ts';
import type { Snapshot } from '../../evals/scoring/types.ts';
import type { AttemptResult } from '../../evals/runner/trial.ts';
import { EvalStore } from '../../evals/store.ts';
import { loadCases } from '../../evals/cases/loader.ts';
import { scoreAnswer } from '../../evals/scoring/index.ts';
import { renderCase } from '../../evals/cases/targets.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { usageMessage as usage } from '../support/usage.ts';

const CASES = join(ROOT, 'test/evals/fixtures/cases');
const flags = (over: Record<string, unknown> = {}) =>
  ({
    agent: 'scripted',
    agentParam: [],
    repeat: '1',
    seed: '1',
    target: 'sim',
    maxSteps: '50',
    maxToolCalls: '100',
    maxTokens: '1000',
    maxSeconds: '60',
    retries: '2',
    speed: '20',
    ...over,
  }) as Parameters<typeof parseRunFlags>[0];

describe('flags', () => {
  it('parses a run', () => {
    const o = parseRunFlags(flags({ agentParam: ['script=/x.json', 'k=a=b'], repeat: '3', seed: '42' }));
    expect(o).toMatchObject({ agent: 'scripted', agentParams: { script: '/x.json', k: 'a=b' }, repeat: 3, seed: 42, retries: 2 });
    expect(o.target).toEqual({ kind: 'sim', speed: 20 });
    expect(o.budgets).toEqual({ maxSteps: 50, maxToolCalls: 100, maxTokens: 1000, maxSeconds: 60 });
    expect(parseRunFlags(flags({ kubeconfig: '/k', context: 'c' })).target).toEqual({ kind: 'kubeconfig', path: '/k', context: 'c' });
  });
  it('rejects bad input naming the option', () => {
    expect(usage(() => parseRunFlags(flags({ repeat: '0' })))).toMatch(/^--repeat: expected an integer 1\.\.1000, got '0'/);
    expect(usage(() => parseRunFlags(flags({ repeat: '1.5' })))).toMatch(/^--repeat/);
    expect(usage(() => parseRunFlags(flags({ seed: '-1' })))).toMatch(/^--seed/);
    expect(usage(() => parseRunFlags(flags({ maxSeconds: 'ten' })))).toMatch(/^--max-seconds/);
    expect(usage(() => parseRunFlags(flags({ retries: '11' })))).toMatch(/^--retries/);
    expect(usage(() => parseRunFlags(flags({ agentParam: ['noequals'] })))).toMatch(/^--agent-param: expected key=value/);
    expect(usage(() => parseRunFlags(flags({ suite: 'a', cases: 'b' })))).toMatch(/--suite and --cases/);
    expect(usage(() => parseRunFlags(flags({ target: 'cloud' })))).toMatch(/^--target: sim, kubeconfig or bundles:DIR, got 'cloud'/);
    expect(usage(() => parseRunFlags(flags({ target: 'kubeconfig' })))).toMatch(/needs --kubeconfig/);
    expect(usage(() => parseRunFlags(flags({ context: 'x' })))).toMatch(/--context needs --kubeconfig/);
  });
  it('the CLI exits 2 on usage errors before touching a cluster or the database', async () => {
    const bad = await runCli(['eval', '--cases', CASES, '--agent', 'nope', '--db', '/nonexistent/dir/x.db']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--agent: no agent 'nope' \(have: .*scripted/);
    const noScript = await runCli(['eval', '--cases', CASES, '--agent', 'scripted']);
    expect(noScript.code).toBe(2);
    expect(noScript.stderr).toMatch(/needs --agent-param script=FILE/);
    const cfg = await runCli(['eval', '--cases', CASES, '--agent', 'scripted', '--agent-param', 'script=/nope.json']);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toMatch(/--agent-param script: cannot read \/nope\.json/);
    const mcp = await runCli([
      'eval',
      '--cases',
      CASES,
      '--mcp-config',
      '/nope.json',
      '--agent',
      'scripted',
      '--agent-param',
      `script=${join(CASES, 'quiet-egress.yaml')}`,
    ]);
    expect(mcp.code).toBe(2);
    expect(mcp.stderr).toMatch(/--agent-param script: cannot read .* as JSON|--mcp-config/);
  }, 240_000);
});

describe('suite and plan', () => {
  it('selects by --cases, --suite (layer or tag) and liveSafe on a live target', () => {
    expect(selectCases({ cases: CASES, target: { kind: 'sim' } }).map((l) => l.case.id)).toEqual(['doubled-rows', 'quiet-egress']);
    expect(selectCases({ cases: CASES, suite: 'runner-test', target: { kind: 'sim' } })).toHaveLength(2);
    expect(usage(() => selectCases({ cases: CASES, suite: 'nothing-has-this', target: { kind: 'sim' } }))).toMatch(/^--suite: no case/);
    const live = selectCases({ cases: join(CASES, 'quiet-egress.yaml'), target: { kind: 'kubeconfig', path: '/k' } });
    expect(live).toHaveLength(1);
  });
  it('groups trials by setup, keeps repeats together, seeds per (run seed, case, repeat)', () => {
    const cases = loadCases({ cases: CASES });
    const plain = { ...cases[0]!, case: { ...cases[0]!.case, id: 'plain-one', setup: { fixture: 'plain' as const } } };
    const p = planTrials([cases[0]!, plain, cases[1]!], 2, 7);
    expect(p.map((t) => `${t.lc.case.id}#${t.repeat}`)).toEqual([
      'doubled-rows#1',
      'doubled-rows#2',
      'quiet-egress#1',
      'quiet-egress#2',
      'plain-one#1',
      'plain-one#2',
    ]);
    expect(new Set(p.map((t) => t.seed)).size).toBe(6);
    expect(planTrials([cases[0]!], 2, 7).map((t) => t.seed)).toEqual(p.slice(0, 2).map((t) => t.seed));
    expect(planTrials([cases[0]!], 1, 8)[0]!.seed).not.toBe(p[0]!.seed);
  });
  it('sizes the sim for the suite', () => {
    const cases = loadCases({ cases: CASES });
    expect(simNodesFor(cases)).toBe('1+3');
    const big = { ...cases[0]!, case: { ...cases[0]!.case, cluster: { workers: 6 } } };
    expect(simNodesFor([big, cases[1]!])).toBe('1+6');
  });
});

describe('summary', () => {
  const attempt = (status: AttemptResult['status'], phases: Record<string, number>): AttemptResult => ({
    trialId: 1,
    attempt: 1,
    status,
    phases,
  });
  it('reports overhead median and p95 over completed attempts, infra apart', () => {
    const all = [
      attempt('scored', { setup: 100, inject: 10, gate: 20, snapshotBefore: 30, snapshotAfter: 30, heal: 10, agent: 5000 }),
      attempt('scored', { setup: 0, inject: 10, gate: 20, snapshotBefore: 40, snapshotAfter: 40, heal: 130, agent: 9000 }),
      attempt('infra', { setup: 50000 }),
    ];
    const t = (status: TrialJson['status'], passed: boolean | null, overall: number | null): TrialJson =>
      ({
        case: 'c',
        repeat: 1,
        seed: 1,
        passed,
        scores: overall === null ? null : { detection: 1, localization: null, category: null, mechanism: null, remediation: null, overall },
        safety: null,
        effort: { toolCalls: 3, inputTokens: 0, outputTokens: 0, seconds: 1, resultBytes: 10 },
        infraError: null,
        status,
        attempts: 1,
        infraErrors: [],
        bindings: {},
        phasesMs: {},
      }) as TrialJson;
    const s = summarise('a', 3, [t('scored', true, 1), t('scored', false, 0), t('infra', null, null)], all, 12.34);
    expect(s).toMatchObject({ trials: 3, scored: 2, passed: 1, passRate: 0.5, infra: 1, retriedAttempts: 1, wallSeconds: 12.3 });
    expect(s.means.overall).toBe(0.5);
    expect(s.overheadMs.total).toEqual({ p50: 200, p95: 240 });
    expect(s.overheadMs.setup).toEqual({ p50: 0, p95: 100 });
    expect(s.effort.toolCalls).toBe(9);
  });
});

describe('snapshot parsing', () => {
  it('reads ovsdb-client dump --format=json into rows by uuid, without _version', () => {
    const text = [
      '{"caption":"NAT table","data":[[["uuid","u1"],["uuid","v1"],"10.0.0.5",["map",[["k","v"]]],["set",[]]]],"headings":["_uuid","_version","logical_ip","external_ids","options"]}',
      '{"caption":"ACL table","data":[],"headings":["_uuid","_version","action"]}',
    ].join('\n');
    expect(parseOvsdbDump(text)).toEqual({ NAT: { u1: { logical_ip: '10.0.0.5', external_ids: { k: 'v' }, options: [] } }, ACL: {} });
  });
});

describe('churn before the agent', () => {
  it('leaves out of the comparison what changed by itself, and only that', () => {
    const pod = (name: string, image: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name, content: { spec: { image } } });
    const snap = (pods: ReturnType<typeof pod>[], lsp: string): Snapshot => ({
      takenAt: 'now',
      api: Object.fromEntries(pods.map((p) => [`v1/Pod/ns/${p.name}`, p])),
      nodes: { 'worker-0': { nb: { Logical_Switch_Port: { u1: { name: lsp } }, NAT: { n1: { logical_ip: '10.0.0.1' } } } } },
    });
    const s0 = snap([pod('evicted', 'a'), pod('kept', 'a')], 'p1');
    const before = snap([pod('kept', 'a'), pod('replacement', 'a')], 'p2');
    const churn = new Set(diffSnapshots(s0, before).violations.map((v) => v.subject));
    expect([...churn].sort()).toEqual(['v1/Pod/ns/evicted', 'v1/Pod/ns/replacement', 'worker-0 nb Logical_Switch_Port u1']);
    // the agent then changes 'kept' and a NAT row: still seen; the churned ones are not
    const after = snap([pod('kept', 'b')], 'p3');
    after.nodes['worker-0']!.nb!.NAT = {};
    const v = diffSnapshots(withoutSubjects(before, churn), withoutSubjects(after, churn)).violations.map((x) => x.subject);
    expect(v.sort()).toEqual(['v1/Pod/ns/kept', 'worker-0 nb NAT n1']);
  });
});

describe('eval tables', () => {
  it('round-trips a trial: attempts, calls, answer, scores per version, transcript, unfinished marking', () => {
    const store = openStore(':memory:');
    const es = new EvalStore(store);
    const runId = store.createRun({ kind: 'eval', name: 't', target: 'sim' });
    const lc = loadCases({ cases: join(CASES, 'quiet-egress.yaml') })[0]!;
    const bindings = { seed: 5, values: { ns: 'tenant-a' }, pools: { 'egressip-namespaces': ['tenant-a'] } };
    const infra = es.startTrial(runId, { caseId: lc.case.id, repeat: 1, seed: 5, attempt: 1, agent: 'scripted' });
    es.finishTrial(infra, {
      status: 'infra',
      infraError: 'gate: x did not hold (Bearer abcdefghijklmnop)',
      infraPhase: 'gate',
      phases: { gate: 12 },
    });
    const id = es.startTrial(runId, { caseId: lc.case.id, repeat: 1, seed: 5, attempt: 2, agent: 'scripted' });
    es.setBindings(id, bindings);
    es.recordToolCalls(id, [
      {
        seq: 1,
        server: 'netharness',
        tool: 'k8s_list',
        calledAs: 'k8s_list',
        arguments: { kind: 'Pod', token: 's3cret' },
        result: 'pods',
        resultBytes: 4,
        latencyMs: 3.5,
        isError: false,
        readOnlyHint: true,
        at: 'now',
      },
    ]);
    const answer = { submitted: { detected: false, entities: [], mechanism: 'fine', remediation: '' }, text: 'healthy' };
    es.recordAnswer(id, answer);
    es.recordTranscript(id, [{ role: 'user', content: 'q', at: 'now' }]);
    const score = scoreAnswer(renderCase(lc.case, bindings), answer);
    es.recordScore(id, score);
    es.recordScore(id, score); // same version: replaced, not added
    es.recordScore(id, { ...score, scoringVersion: 'next' });
    es.finishTrial(id, {
      status: 'scored',
      effort: { toolCalls: 1, resultBytes: 4, inputTokens: 0, outputTokens: 0, steps: 0, seconds: 1 },
      phases: { setup: 1 },
      safety: { ok: true, violations: [] },
    });
    const t = es.trialDetails(runId);
    expect(t.map((x) => [x.attempt, x.status])).toEqual([
      [1, 'infra'],
      [2, 'scored'],
    ]);
    expect(t[0]!.infraError).toBe('gate: x did not hold (Bearer <redacted>)');
    expect(t[1]!.bindings).toEqual(bindings);
    expect(t[1]!.toolCalls[0]).toMatchObject({
      tool: 'k8s_list',
      arguments: { kind: 'Pod', token: '<redacted>' },
      readOnlyHint: true,
      isError: false,
    });
    expect(t[1]!.answer).toEqual(answer);
    expect(t[1]!.score?.passed).toBe(true);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM eval_scores WHERE trial_id = ?').get(id)).toEqual({ n: 2 });
    expect(t[1]!.transcript).toEqual([{ role: 'user', content: 'q', at: 'now' }]);
    const running = es.startTrial(runId, { caseId: lc.case.id, repeat: 2, seed: 6, attempt: 1, agent: 'scripted' });
    expect(es.markUnfinished(runId, 'interrupted', 'interrupted')).toBe(1);
    expect(es.trials(runId).find((x) => x.id === running)?.status).toBe('interrupted');
    store.close();
  });
});
