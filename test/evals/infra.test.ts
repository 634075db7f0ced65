/**
 * Must show: an infrastructure fault mid-trial (the MCP server killed) is retried and reported as infra,
 * not as a wrong answer. `netharness eval --kubeconfig` against an embedded cluster this file starts; a
 * scripted agent makes a call, says `ready`, waits, and calls again. When it says `ready`, the test kills
 * the netharness MCP server the proxy started (the pid the run printed) with SIGKILL.
 *  - killed on the first attempt only: the attempt is recorded as infra (phase agent, the signal named),
 *    the server is restarted, the retry completes and is scored: the run exits 0;
 *  - killed on every attempt: the trial ends as infra, with no score (never "failed"), and the run exits 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, startDetachedSim, stopSim } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'eval-infra-'));
const simDir = join(dir, 'sim');
let kubeconfig: string;

interface Trial {
  status: string;
  passed: boolean | null;
  scores: unknown;
  attempts: number;
  infraError: string | null;
  infraErrors: { attempt: number; phase: string; error: string }[];
}

/** Run eval; each time the agent says `ready` (up to `kills` times), SIGKILL the MCP server it uses. */
function evalKilling(
  db: string,
  kills: number,
  retries: number,
): Promise<{ code: number | null; stdout: string; stderr: string; killed: number[] }> {
  const script = join(dir, 'script.json');
  writeFileSync(
    script,
    JSON.stringify({
      steps: [
        { call: 'k8s_list', args: { kind: 'Pod', namespace: 'tenant-a' } },
        { log: 'ready' },
        { sleep: 3000 },
        { call: 'k8s_list', args: { kind: 'Pod', namespace: 'tenant-a' } },
        { submit: { detected: false, entities: [], mechanism: 'egress works as configured', remediation: 'nothing' } },
      ],
      text: 'healthy',
    }),
  );
  const args = [
    ...CLI,
    'eval',
    '--kubeconfig',
    kubeconfig,
    '--cases',
    join(ROOT, 'test/evals/fixtures/cases/quiet-egress.yaml'),
    '--agent',
    'scripted',
    '--agent-param',
    `script=${script}`,
    '--retries',
    String(retries),
    '--db',
    db,
    '--json',
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: '1' } });
    let stdout = '';
    let stderr = '';
    let pid: number | undefined;
    const killed: number[] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const s = d.toString();
      stderr += s;
      for (const m of s.matchAll(/MCP server 'netharness' up: \d+ tools \(pid (\d+)\)/g)) pid = Number(m[1]);
      if (/scripted: ready/.test(s) && killed.length < kills && pid) {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr, killed }));
  });
}

beforeAll(() => {
  kubeconfig = startDetachedSim(simDir, { speed: 20, nodes: '1+3' });
}, 200_000);
afterAll(() => stopSim(simDir));

describe('the MCP server killed mid-trial', () => {
  it('is retried: the attempt is infra, the retry is scored, the run completes', async () => {
    const db = join(dir, 'once.db');
    const r = await evalKilling(db, 1, 2);
    expect(r.killed).toHaveLength(1);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; trials: Trial[]; summary: { infra: number; retriedAttempts: number } };
    const t = out.trials[0];
    expect(t.attempts).toBe(2);
    expect(t.infraErrors).toHaveLength(1);
    expect(t.infraErrors[0]).toMatchObject({ attempt: 1, phase: 'agent' });
    expect(t.infraErrors[0].error).toMatch(/MCP server 'netharness' is gone: the process was killed by SIGKILL/);
    expect(t.status).toBe('scored');
    expect(t.passed).toBe(true);
    expect(t.infraError).toBeNull();
    expect(out.summary).toMatchObject({ infra: 0, retriedAttempts: 1 });
    expect(r.stderr).toMatch(/restarting MCP server 'netharness'/);
    const show = await runCli(['runs', 'show', out.runId, '--db', db, '--json']);
    const d = JSON.parse(show.stdout) as {
      eval: { trials: { attempt: number; status: string; infraPhase: string | null; score: unknown }[] };
    };
    expect(d.eval.trials.map((x) => [x.attempt, x.status, x.infraPhase])).toEqual([
      [1, 'infra', 'agent'],
      [2, 'scored', null],
    ]);
    expect(d.eval.trials[0].score).toBeNull(); // the killed attempt is never scored
  }, 300_000);

  it('killed on every attempt: reported as infra with no score, exit 2', async () => {
    const r = await evalKilling(join(dir, 'always.db'), 2, 1);
    expect(r.killed).toHaveLength(2);
    expect(r.code, r.stderr.slice(-3000)).toBe(2);
    const out = JSON.parse(r.stdout) as { trials: Trial[]; summary: { infra: number; scored: number; passed: number } };
    const t = out.trials[0];
    expect(t.status).toBe('infra');
    expect(t.attempts).toBe(2);
    expect(t.passed).toBeNull();
    expect(t.scores).toBeNull();
    expect(t.infraError).toMatch(/killed by SIGKILL/);
    expect(out.summary).toMatchObject({ infra: 1, scored: 0, passed: 0 });
  }, 300_000);
});
