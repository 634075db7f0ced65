/**
 * The sim's read-only identity (context netharness-sim-readonly) is what mcp/rbac/readonly-clusterrole.yaml
 * grants on a real cluster: reads, pod logs, exec only in openshift-ovn-kubernetes and openshift-ptp, and no
 * Secrets. Driven like a user would: `netharness sim --detach --api-only`, then kubectl with that context.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, runCli, stopSim } from '../support/cli.ts';

let dir = '';
let kubeconfig = '';

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, '--context', 'netharness-sim-readonly', ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const canI = async (...args: string[]): Promise<string> => (await kubectl(['auth', 'can-i', ...args])).stdout.trim();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nh-roid-'));
  const r = await runCli(['sim', '--detach', '--api-only', '--workdir', dir]);
  const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`sim did not start: ${r.stderr}`);
  kubeconfig = m[1];
}, 120_000);
afterAll(() => {
  stopSim(dir);
  rmSync(dir, { recursive: true, force: true });
});

describe('the sim read-only identity', { timeout: 120_000 }, () => {
  it('is denied Secrets: can-i says no and a real get is Forbidden', async () => {
    expect(await canI('get', 'secrets', '-n', 'default')).toBe('no');
    expect(await canI('list', 'secrets', '-A')).toBe('no');
    const r = await kubectl(['get', 'secrets', '-n', 'openshift-ovn-kubernetes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/forbidden: User "system:serviceaccount:netharness:mcp-readonly" cannot list resource "secrets"/);
  });

  it('may exec only in openshift-ovn-kubernetes and openshift-ptp', async () => {
    expect(await canI('create', 'pods', '--subresource=exec', '-n', 'openshift-ovn-kubernetes')).toBe('yes');
    expect(await canI('create', 'pods', '--subresource=exec', '-n', 'openshift-ptp')).toBe('yes');
    for (const ns of ['default', 'kube-system', 'netharness', 'openshift-monitoring'])
      expect(await canI('create', 'pods', '--subresource=exec', '-n', ns), ns).toBe('no');
  });

  it('reads what the role lists, changes nothing', async () => {
    expect(await canI('list', 'egressips.k8s.ovn.org')).toBe('yes');
    expect(await canI('get', 'pods', '--subresource=log', '-n', 'default')).toBe('yes');
    for (const verb of ['create', 'update', 'patch', 'delete']) expect(await canI(verb, 'configmaps', '-n', 'default'), verb).toBe('no');
    expect((await kubectl(['get', 'nodes'])).code).toBe(0);
  });

  it('every rule of mcp/rbac/readonly-clusterrole.yaml holds on the sim (the file is the source)', async () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'mcp', 'rbac', 'readonly-clusterrole.yaml'), 'utf8')).map(
      (d) =>
        d.toJS() as {
          kind: string;
          metadata: { namespace?: string };
          rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
        },
    );
    // kinds the sim serves (a rule for a kind it does not serve cannot be asked about: kubectl resolves it first)
    const served = new Set(
      (await kubectl(['api-resources', '-o', 'name'])).stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    let checked = 0;
    for (const d of docs.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      for (const rule of d.rules ?? []) {
        const res = rule.resources[0];
        const [resource, sub] = res.split('/');
        const group = rule.apiGroups[0];
        const full = group ? `${resource}.${group}` : resource;
        if (!served.has(full)) continue;
        const ns = d.metadata.namespace ?? 'default';
        const args = [rule.verbs[0], full, '-n', ns, ...(sub ? [`--subresource=${sub}`] : [])];
        expect(await canI(...args), args.join(' ')).toBe('yes');
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
