/**
 * Offline bundles: a hand-made bundle with a real NB DB file (ovsdb-tool create + ovn-nbctl writes
 * against a throwaway server), served by BundleTarget: ovn_db_list / lr-nat-list run the real
 * ovn-nbctl against a local ovsdb-server on a COPY of the file; captured outputs answer OVS/kernel
 * tools; the bundle files are unchanged afterwards.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleTarget, labelSelectorMatches } from '../../mcp/bundle-target.ts';
import { ALL_TOOLS } from '../../mcp/tools/index.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import { makeFixtureBundle } from './fixture-bundle.ts';
import { egressIpConsistency } from '../../mcp/consistency.ts';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('bundle target (real ovsdb-server on a bundled NB file)', () => {
  let dir: string;
  let target: BundleTarget;
  let nbSha: string;
  beforeAll(async () => {
    dir = await makeFixtureBundle();
    nbSha = sha(join(dir, 'nodes/worker-0/nb.db'));
    target = BundleTarget.open(dir);
  });
  afterAll(async () => {
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const call = (name: string, args: Record<string, unknown>) => {
    const ctx: ToolContext = { target, budgetBytes: 8192, timeoutMs: 10_000 };
    return ALL_TOOLS.find((t) => t.name === name)!.call(ctx, args);
  };

  it('answers find/list with arbitrary tables and columns from the bundled DB', async () => {
    const r = await call('ovn_db_list', {
      node: 'worker-0',
      db: 'nb',
      table: 'NAT',
      conditions: ['logical_ip="10.128.1.7"'],
      columns: ['external_ip', 'logical_ip'],
    });
    expect(r.isError).toBeFalsy();
    expect(r.text).toMatch(/1 record\(s\) in NAT/);
    expect(r.text).toMatch(/logical_ip\s+: "10\.128\.1\.7"/);
    const nat = await call('ovn_lr_nat_list', { node: 'worker-0', router: 'GR_worker-0', grep: '10\\.128\\.1\\.(2|3)\\b' });
    expect(nat.text.match(/snat/g)).toHaveLength(2);
    const pol = await call('ovn_lr_policy_list', { node: 'worker-0' });
    expect(pol.text).toMatch(/100\s+ip4\.src == 10\.128\.1\.2\s+reroute\s+100\.88\.0\.3/);
  });

  it('serves captured outputs, narrows table=N from the full capture, and says what is not captured', async () => {
    expect((await call('ovs_ofctl_dump_flows', { node: 'worker-0', bridge: 'br-int' })).text).toMatch(/table=5/);
    const t5 = await call('ovs_ofctl_dump_flows', { node: 'worker-0', bridge: 'br-int', table: 5 });
    expect(t5.text).toMatch(/table=5/);
    expect(t5.text).not.toMatch(/table=0/);
    const miss = await call('kernel_nft_ruleset', { node: 'worker-0' });
    expect(miss.isError).toBe(true);
    expect(miss.text).toMatch(/not captured/);
    const sb = await call('ovn_lflow_list', { node: 'worker-0' });
    expect(sb.text).toMatch(/SB DB of node worker-0 is not in this bundle/);
  });

  it('serves objects, selectors and logs from files', async () => {
    expect((await call('k8s_list', { kind: 'Pod', label_selector: 'app=web', field_selector: 'spec.nodeName=ovn-worker' })).text).toMatch(
      /^2 Pod object/,
    );
    expect((await call('k8s_pod_logs', { namespace: 'openshift-ovn-kubernetes', name: 'ovnkube-node-a', tail: 2 })).text).toBe('b\nc');
    expect(labelSelectorMatches('app in (web,db),!x', { app: 'web' })).toBe(true);
    expect(labelSelectorMatches('app notin (web)', { app: 'web' })).toBe(false);
  });

  it('runs the EgressIP consistency check offline', async () => {
    const r = await egressIpConsistency(target, { nodes: ['worker-0'] });
    expect(r.text).toMatch(/EgressIP consistency/);
  });

  it('never changes the bundle', () => {
    expect(sha(join(dir, 'nodes/worker-0/nb.db'))).toBe(nbSha);
  });
});
