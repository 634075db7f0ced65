/**
 * Must show: Ctrl-C during a trial leaves the cluster healed and the run marked interrupted.
 * `netharness eval --kubeconfig` against an embedded cluster this file starts, on a fault case (a library
 * fault switched on for the egress node's zone, then a rollout, gated on the duplicate-snat finding). The
 * scripted agent says `working` and waits; the test sends SIGINT then. The run must exit 130, mark the run
 * and the trial interrupted, and leave the cluster as it found it: the fault switched off, the EgressIP
 * check passing, the fixture's namespaces, EgressIPs and node labels gone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, startDetachedSim, stopSim } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'eval-interrupt-'));
const simDir = join(dir, 'sim');
const db = join(dir, 'eval.db');
let kubeconfig: string;
let run: { code: number | null; stdout: string; stderr: string; sentAt?: number; exitedAt: number };

const kubectl = (...args: string[]) => spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 30_000 });

beforeAll(async () => {
  kubeconfig = startDetachedSim(simDir, { speed: 20, nodes: '1+3' });
  const script = join(dir, 'script.json');
  writeFileSync(
    script,
    JSON.stringify({
      steps: [
        { call: 'egressip_status', args: {} },
        // the fault library is out of the agent's reach (its identity is narrowed for the run)
        { call: 'k8s_get', args: { kind: 'ConfigMap', namespace: 'netharness', name: 'netharness-faults' } },
        { call: 'k8s_list', args: { kind: 'ConfigMap', namespace: 'openshift-ovn-kubernetes' } },
        { log: 'working' },
        { sleep: 300_000 },
      ],
      text: 'never reached',
    }),
  );
  run = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        ...CLI,
        'eval',
        '--kubeconfig',
        kubeconfig,
        '--cases',
        join(ROOT, 'test/evals/fixtures/cases/doubled-rows.yaml'),
        '--agent',
        'scripted',
        '--agent-param',
        `script=${script}`,
        '--db',
        db,
        '--json',
      ],
      { cwd: ROOT, env: { ...process.env, CI: '1' } },
    );
    let stdout = '';
    let stderr = '';
    let sentAt: number | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (sentAt === undefined && /scripted: working/.test(stderr)) {
        sentAt = Date.now();
        child.kill('SIGINT');
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr, sentAt, exitedAt: Date.now() }));
  });
}, 400_000);
afterAll(() => stopSim(simDir));

describe('Ctrl-C during a trial', () => {
  it('exits 130 soon after the signal, with the fault injected before it', () => {
    expect(run.sentAt, run.stderr.slice(-3000)).toBeDefined();
    expect(run.code, run.stderr.slice(-3000)).toBe(130);
    expect(run.exitedAt - run.sentAt!).toBeLessThan(120_000);
    expect(run.stderr).toMatch(/SIGINT: interrupting/);
    const out = JSON.parse(run.stdout) as {
      runId: string;
      trials: { status: string; passed: boolean | null; bindings: Record<string, string> }[];
    };
    expect(out.trials).toHaveLength(1);
    expect(out.trials[0].status).toBe('interrupted');
    expect(out.trials[0].passed).toBeNull();
    expect(out.trials[0].bindings.egressNode).toMatch(/^worker-/);
  });

  it('marks the run and the trial interrupted in the database', async () => {
    const out = JSON.parse(run.stdout) as { runId: string };
    const r = await runCli(['runs', 'show', out.runId, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as {
      run: { verdict: string };
      eval: { trials: { status: string; toolCalls: { tool: string; isError: boolean; result: string }[] }[] };
    };
    expect(d.run.verdict).toBe('interrupted');
    expect(d.eval.trials.map((t) => t.status)).toEqual(['interrupted']);
    const calls = d.eval.trials[0].toolCalls;
    expect(calls.map((c) => c.tool)).toEqual(['egressip_status', 'k8s_get', 'k8s_list']);
    expect(calls[1].isError, calls[1].result).toBe(true);
    expect(calls[1].result).toMatch(/forbidden|403/i);
    expect(calls[1].result).not.toMatch(/eip-duplicate-snat/);
    expect(calls[2].isError, calls[2].result).toBe(false);
  });

  it('leaves the cluster healed: fault off, check passing, fixture gone', async () => {
    const cm = kubectl('-n', 'netharness', 'get', 'configmap', 'netharness-faults', '-o', 'json');
    expect(cm.status, cm.stderr).toBe(0);
    const data = (JSON.parse(cm.stdout) as { data?: Record<string, string> }).data ?? {};
    expect(data['eip-duplicate-snat']).toBe('off');
    expect(Object.values(data).filter((v) => v && v !== 'off')).toEqual([]);
    const check = await runCli(['check', 'egressip', '--kubeconfig', kubeconfig, '--json', '--no-record']);
    expect(check.code, check.stdout.slice(0, 2000) + check.stderr).toBe(0);
    const ns = kubectl('get', 'namespaces', '-o', 'name');
    expect(ns.stdout).not.toMatch(/tenant-/);
    const eips = kubectl('get', 'egressips', '-o', 'name');
    expect(eips.stdout.trim()).toBe('');
    const labelled = kubectl('get', 'nodes', '-l', 'k8s.ovn.org/egress-assignable', '-o', 'name');
    expect(labelled.stdout.trim()).toBe('');
    // the read-only identity is given back what the run took
    expect(kubectl('get', 'rolebindings', '-A', '-o', 'name').stdout).not.toMatch(/netharness-eval-configmaps/);
    const canRead = kubectl(
      '--context',
      'netharness-sim-readonly',
      '-n',
      'netharness',
      'get',
      'configmap',
      'netharness-faults',
      '-o',
      'name',
    );
    expect(canRead.status, canRead.stderr).toBe(0);
  });
});
