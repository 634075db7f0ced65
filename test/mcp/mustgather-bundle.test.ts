/**
 * `netharness mcp --bundle <must-gather>`: a must-gather in the real layout (test/mcp/mustgather-fixture.ts)
 * opens over stdio and its tools answer: objects from the inspect lists and files, logs without the
 * inspect timestamps (current and previous), each node's NB rows from its ovnkube-node pod's DB out of
 * ovnk_database_store.tar.gz, a raft SB file converted; Secrets are never read; the must-gather is unchanged.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectMcp } from '../support/mcp.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { convertMustGather, isMustGather, mustGatherRoots, stripLogTimestamps } from '../../mcp/must-gather.ts';
import { makeMustGather } from './mustgather-fixture.ts';

const textOf = (r: unknown) => ((r as { content: { text: string }[] }).content ?? []).map((c) => c.text).join('\n');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('must-gather as an offline bundle', { timeout: 300_000 }, () => {
  let mg: string;
  let client: Client;
  let tarSha: string;
  let tarPath: string;
  beforeAll(async () => {
    mg = await makeMustGather();
    tarPath = join(mustGatherRoots(mg)[0]!, 'network_logs/ovnk_database_store.tar.gz');
    tarSha = sha(tarPath);
    client = await connectMcp(['--bundle', mg, '--toolsets', 'k8s,ovn'], { name: 'mustgather-test', timeoutMs: 180_000 });
  }, 240_000);
  afterAll(async () => {
    await client?.close();
    rmSync(join(mg, '..'), { recursive: true, force: true });
  });

  it('finds the image directory and tells a must-gather from a bundle', () => {
    expect(isMustGather(mg)).toBe(true);
    expect(mustGatherRoots(mg)).toHaveLength(1);
    expect(mustGatherRoots(mg)[0]).toMatch(/sha256-3f1c0de9$/);
    expect(stripLogTimestamps('2025-06-02T09:14:03.123456789Z I0602 x\nplain\n')).toBe('I0602 x\nplain\n');
  });

  it('serves objects from the inspect lists and per-object files (kinds of list items filled in)', async () => {
    const nodes = textOf(await client.callTool({ name: 'k8s_list', arguments: { kind: 'Node' } }));
    expect(nodes).toMatch(/worker-0\s.*Ready=True/);
    expect(nodes).toMatch(/worker-1\s.*Ready=False/);
    const pods = textOf(await client.callTool({ name: 'k8s_list', arguments: { kind: 'Pod', namespace: 'openshift-ovn-kubernetes' } }));
    expect(pods).toMatch(/ovnkube-node-k7x2p/);
    expect(pods).toMatch(/ovnkube-node-q9w4d/);
    const eip = textOf(await client.callTool({ name: 'k8s_get', arguments: { kind: 'EgressIP', name: 'egressip-web' } }));
    expect(eip).toMatch(/172\.18\.0\.100/);
    const ev = textOf(await client.callTool({ name: 'k8s_events', arguments: { involved_kind: 'Node', involved_name: 'worker-1' } }));
    expect(ev).toMatch(/NodeNotReady/);
    const sec = await client.callTool({ name: 'k8s_list', arguments: { kind: 'Secret', namespace: 'web' } });
    expect(sec.isError).toBe(true);
    expect(textOf(sec)).not.toMatch(/c2VjcmV0LWNhbmFyeQ|secret-canary/);
  });

  it('serves current and previous container logs without the inspect timestamps', async () => {
    const cur = textOf(
      await client.callTool({
        name: 'k8s_pod_logs',
        arguments: { namespace: 'openshift-ovn-kubernetes', name: 'ovnkube-node-q9w4d', container: 'ovnkube-controller' },
      }),
    );
    expect(cur).toMatch(/Starting ovnkube on worker-1/);
    expect(cur).not.toMatch(/2025-06-02T09:14:03/);
    const prev = textOf(
      await client.callTool({
        name: 'k8s_pod_logs',
        arguments: { namespace: 'openshift-ovn-kubernetes', name: 'ovnkube-node-q9w4d', container: 'ovnkube-controller', previous: true },
      }),
    );
    expect(prev).toMatch(/panic: runtime error/);
    const none = await client.callTool({
      name: 'k8s_pod_logs',
      arguments: { namespace: 'openshift-ovn-kubernetes', name: 'ovnkube-node-k7x2p', container: 'ovnkube-controller', previous: true },
    });
    expect(none.isError).toBe(true);
  });

  it("answers OVN tools from each node's own DB (NB rows; the raft SB file converted)", async () => {
    const nat0 = textOf(await client.callTool({ name: 'ovn_lr_nat_list', arguments: { node: 'worker-0', router: 'GR_worker-0' } }));
    expect(nat0).toMatch(/snat\s+172\.18\.0\.100\s+10\.128\.2\.5/);
    const lsp1 = textOf(await client.callTool({ name: 'ovn_lsp_list', arguments: { node: 'worker-1', switch: 'worker-1' } }));
    expect(lsp1).toMatch(/k8s-worker-1/);
    expect(lsp1).not.toMatch(/k8s-worker-0/);
    const sb = await client.callTool({
      name: 'ovn_db_list',
      arguments: { node: 'worker-1', db: 'sb', table: 'Chassis', columns: ['name'] },
    });
    expect(sb.isError).toBeFalsy();
    expect(textOf(sb)).toMatch(/0 record\(s\) in Chassis/);
    expect(sha(tarPath)).toBe(tarSha);
  });

  it('a directory that is neither a bundle nor a must-gather is a usage error (exit 2) naming --bundle', async () => {
    const empty = join(mg, '..', 'empty');
    mkdirSync(empty, { recursive: true });
    const r2 = await runCli(['mcp', '--bundle', empty]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--bundle: no manifest\.json/);
    expect(() => convertMustGather(empty, join(empty, 'out'))).toThrow(/neither a netharness bundle .* nor a must-gather/);
  });
});
