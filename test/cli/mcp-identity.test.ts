/**
 * `netharness mcp` on a kubeconfig: its read-only context is the default (the sim's kubeconfig has one), and
 * on any context it warns at start when its identity can create, update or delete (a SelfSubjectRulesReview).
 * The cluster: the embedded one, API only, started detached and given as a kubeconfig.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, runCli, stopSim } from '../support/cli.ts';

const base = mkdtempSync('/tmp/nh-mcpid-');
const simDir = join(base, 'sim');
let kubeconfig = '';

/** the MCP server over stdio with stdin at EOF: it logs its start, then ends with its input */
function mcpStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, 'mcp', '--kubeconfig', kubeconfig, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('mcp: the read-only context by default, a warning for an identity that can write', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    const r = await runCli(['sim', '--detach', '--api-only', '--nodes', '1+1', '--workdir', simDir]);
    const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`sim did not start (exit ${r.code}): ${r.stderr.slice(-800)}`);
    kubeconfig = m[1];
  });
  afterAll(() => {
    stopSim(simDir);
    rmSync(base, { recursive: true, force: true });
  });

  it("uses the kubeconfig's read-only context unless --context says otherwise, and does not warn for it", async () => {
    const r = await mcpStart([]);
    expect(r.stderr).toMatch(/using the kubeconfig's read-only context 'netharness-sim-readonly'/);
    expect(r.stderr).toMatch(/serving \d+ tools/);
    expect(r.stderr).not.toMatch(/this identity can change the cluster/);
  });

  it('warns at start when the identity can create, update or delete (the admin context)', async () => {
    const r = await mcpStart(['--context', 'netharness-sim']);
    expect(r.stderr).not.toMatch(/read-only context/);
    expect(r.stderr).toMatch(/warning: this identity can change the cluster \(.+\)\. The tools never write, but bind a read-only role/);
    expect(r.stderr).toMatch(/serving \d+ tools/);
  });
});
