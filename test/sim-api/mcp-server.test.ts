/**
 * kubernetes-mcp-server (Go, client-go) over stdio against the sim kubeconfig, driven by the MCP SDK client.
 */
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest, startTestCluster, type TestCluster } from './helpers.ts';

/**
 * kubernetes-mcp-server ships its Go binary in per-platform npm packages; the registry reachable here
 * serves only linux-amd64, so that package (not the wrapper, whose lock entry would need all six) is an
 * optionalDependency; without it this suite fails and says which package is missing.
 */
function kubernetesMcpServerBinary(): string {
  const pkg = `kubernetes-mcp-server-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
  try {
    return createRequire(import.meta.url).resolve(`${pkg}/bin/${pkg}`);
  } catch {
    throw new Error(`kubernetes-mcp-server binary package ${pkg} is not installed (npm ci installs ${pkg} only where the registry has it)`);
  }
}

let tc: TestCluster;
let client: Client;
let stderr = '';

beforeAll(async () => {
  tc = await startTestCluster();
  const s = tc.cluster.store;
  s.create({ group: '', version: 'v1', resource: 'pods' }, podManifest('ovnkube-node-x1', 'openshift-ovn-kubernetes'));
  tc.runtime.append(
    { namespace: 'openshift-ovn-kubernetes', pod: 'ovnkube-node-x1', container: 'app' },
    'I1121 egressip.go:123] Adding EgressIP eip-mcp',
  );
  s.create(
    { group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' },
    {
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: 'eip-mcp' },
      spec: { egressIPs: ['192.168.126.222'], namespaceSelector: { matchLabels: { team: 'a' } } },
      status: { items: [{ node: 'worker-2', egressIP: '192.168.126.222' }] },
    },
  );
  const transport = new StdioClientTransport({
    command: kubernetesMcpServerBinary(),
    args: ['--kubeconfig', tc.kubeconfig],
    stderr: 'pipe',
    env: { ...process.env, HOME: tc.dir } as Record<string, string>,
  });
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  client = new Client({ name: 'netharness-test', version: '0.1.0' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await tc?.cluster.stop();
});

async function call(name: string, args: Record<string, unknown>): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { type: string; text?: string }[] };
  const text = r.content.map((c) => c.text ?? '').join('\n');
  expect(r.isError, `${name}: ${text}\n${stderr.slice(-2000)}`).toBeFalsy();
  return text;
}

describe('kubernetes-mcp-server', () => {
  it('offers the tools we drive', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const n of ['pods_list', 'pods_log', 'resources_get', 'resources_list']) expect(names).toContain(n);
  });

  it('lists nodes', async () => {
    const text = await call('resources_list', { apiVersion: 'v1', kind: 'Node' });
    for (const n of ['master-0', 'master-1', 'master-2', 'worker-0', 'worker-1', 'worker-2']) expect(text).toContain(n);
    expect(text).toContain('192.168.126.11');
  });

  it('lists pods', async () => {
    const text = await call('pods_list', {});
    expect(text).toContain('ovnkube-node-x1');
    expect(text).toContain('openshift-ovn-kubernetes');
  });

  it('gets an EgressIP', async () => {
    const text = await call('resources_get', { apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP', name: 'eip-mcp' });
    expect(text).toContain('192.168.126.222');
    expect(text).toContain('worker-2');
  });

  it('reads a pod log', async () => {
    const text = await call('pods_log', { name: 'ovnkube-node-x1', namespace: 'openshift-ovn-kubernetes' });
    expect(text).toContain('Adding EgressIP eip-mcp');
  });
});
