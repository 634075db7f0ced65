/**
 * The MCP server with a fake target: SDK client over in-memory and streamable HTTP transports,
 * toolset selection, budgets and truncation notices, read-only annotations, validation errors.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer, serveHttp, type HttpServerHandle } from '../../mcp/server.ts';
import { selectTools, ALL_TOOLS } from '../../mcp/tools/index.ts';
import { pageText, approxTokens } from '../../mcp/output.ts';
import { FakeTarget, NAT_JSON, sampleObjects } from './fake-target.ts';
import type { NodeCommand } from '../../mcp/target.ts';

function outputs(cmd: NodeCommand) {
  if (cmd.argv[0] === 'ovn-nbctl' && cmd.argv.includes('--format=json')) return { stdout: NAT_JSON };
  if (cmd.argv[1] === 'lr-policy-list')
    return {
      stdout: `Routing Policies\n${Array.from({ length: 500 }, (_, i) => `       100                             ip4.src == 10.128.1.${i % 250}         reroute                100.88.0.3`).join('\n')}\n`,
    };
  if (cmd.argv[0] === 'nft')
    return {
      stdout: '',
      stderr:
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "nft": executable file not found in $PATH: unknown',
      exitCode: 127,
    };
  return { stdout: 'ok\n' };
}

type TextContent = { type: string; text: string };
const textOf = (r: unknown) => (r as { content: TextContent[] }).content[0]?.text ?? '';

async function inMemoryClient(target: FakeTarget, opts: { toolsets?: string[]; disableTools?: string[]; budgetBytes?: number } = {}) {
  const server = createMcpServer({ target, tools: selectTools(opts), budgetBytes: opts.budgetBytes ?? 8192 });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'test', version: '0' });
  await client.connect(b);
  return { client, server };
}

describe('mcp server (fake target)', () => {
  it('lists every tool with read-only annotations and descriptions with examples', async () => {
    const { client } = await inMemoryClient(new FakeTarget());
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    for (const t of tools) {
      expect(t.annotations?.readOnlyHint, t.name).toBe(true);
      expect(t.annotations?.destructiveHint, t.name).toBe(false);
      expect(t.description!.length, t.name).toBeGreaterThan(60);
      expect(t.inputSchema.type).toBe('object');
    }
    const nodeTools = tools.filter((t) => /^(ovn|ovs|kernel)_/.test(t.name));
    for (const t of nodeTools) expect(t.inputSchema.required, t.name).toContain('node');
    await client.close();
  });

  it('switches toolsets and disables tools', async () => {
    const { client } = await inMemoryClient(new FakeTarget(), { toolsets: ['ovn', 'analysis'], disableTools: ['ovn_trace'] });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(
      names.every((n) => /^(ovn_|egressip_|ptp_check$)/.test(n)),
      names.join(' '),
    ).toBe(true); // analysis = one tool per check
    expect(names).not.toContain('ovn_trace');
    const r = await client
      .callTool({ name: 'k8s_list', arguments: { kind: 'Pod' } })
      .catch((e: Error) => ({ content: [{ type: 'text', text: e.message }], isError: true }));
    expect(r.isError).toBe(true);
    await client.close();
    expect(() => selectTools({ toolsets: ['bogus'] })).toThrow(/unknown toolset/);
  });

  it('ovn_db_list: find NAT rows, records, grep and budget with a narrowing notice', async () => {
    const target = new FakeTarget(sampleObjects(), outputs);
    const { client } = await inMemoryClient(target, { budgetBytes: 4096 });
    const r = await client.callTool({
      name: 'ovn_db_list',
      arguments: { node: 'ovn-worker2', db: 'nb', table: 'NAT', conditions: ['type=snat'] },
    });
    const text = textOf(r);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096 + 200);
    expect(text).toMatch(/showing records 1-\d+ of 300; output budget 4096 bytes; pass grep=<regex>, offset=\d+, columns=\[\.\.\.\]/);
    // the fast read looks for the NB socket first (get-schema); the fake answers no schema, so ovn-nbctl runs
    const execs = target.calls.filter((c) => c.op === 'nodeExec').map((c) => (c.args as NodeCommand).argv.slice(0, 3).join(' '));
    expect(execs).toEqual([
      'ovsdb-client get-schema unix:/var/run/ovn/ovnnb_db.sock',
      'ovsdb-client get-schema unix:/var/run/openvswitch/ovnnb_db.sock',
      'ovn-nbctl --format=json find',
    ]);
    const exec = target.calls.find((c) => c.op === 'nodeExec' && (c.args as NodeCommand).argv[0] === 'ovn-nbctl')!.args as NodeCommand;
    expect(exec).toEqual({ node: 'ovn-worker2', container: 'nbdb', argv: ['ovn-nbctl', '--format=json', 'find', 'NAT', 'type=snat'] });
    const g = textOf(
      await client.callTool({ name: 'ovn_db_list', arguments: { node: 'ovn-worker2', db: 'nb', table: 'NAT', grep: 'pod-17\\b' } }),
    );
    expect(g).toMatch(/eip_ns\/pod-17/);
    expect(g).toMatch(/1 of 300 match grep/);
    await client.close();
  });

  it('lr-policy-list budget notice and offset paging', async () => {
    const { client } = await inMemoryClient(new FakeTarget([], outputs), { budgetBytes: 2048 });
    const t1 = textOf(await client.callTool({ name: 'ovn_lr_policy_list', arguments: { node: 'ovn-worker' } }));
    const m = /showing lines 1-(\d+) of 501.*offset=(\d+)/.exec(t1);
    expect(m).not.toBeNull();
    const t2 = textOf(await client.callTool({ name: 'ovn_lr_policy_list', arguments: { node: 'ovn-worker', offset: Number(m![2]) } }));
    expect(t2).toMatch(new RegExp(`showing lines ${Number(m![2]) + 1}-`));
    await client.close();
  });

  it('says clearly when a binary is missing on the target', async () => {
    const { client } = await inMemoryClient(new FakeTarget([], outputs));
    const r = await client.callTool({ name: 'kernel_nft_ruleset', arguments: { node: 'ovn-worker' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/nft is not available in container ovnkube-controller on node ovn-worker/);
    await client.close();
  });

  it('rejects bad arguments with a message naming the field', async () => {
    const target = new FakeTarget([], outputs);
    const { client } = await inMemoryClient(target);
    for (const args of [
      { node: 'x; reboot', db: 'nb' },
      { node: 'ovn-worker', db: 'nb', table: 'NAT', conditions: ['--db=tcp:1.2.3.4:6641'] },
      { node: 'ovn-worker', db: 'nb', table: 'NAT', extra: 1 },
    ]) {
      const r = await client
        .callTool({ name: args.table ? 'ovn_db_list' : 'ovn_show', arguments: args })
        .catch((e: Error) => ({ content: [{ type: 'text', text: e.message }], isError: true }));
      expect(r.isError).toBe(true);
    }
    expect(target.calls.filter((c) => c.op === 'nodeExec')).toHaveLength(0);
    await client.close();
  });

  it('k8s tools: list summary, get without managedFields, describe with events, logs tail, secrets refused', async () => {
    const target = new FakeTarget(sampleObjects(), outputs, Array.from({ length: 5000 }, (_, i) => `I1121 line ${i}`).join('\n'));
    const { client } = await inMemoryClient(target);
    const list = textOf(await client.callTool({ name: 'k8s_list', arguments: { kind: 'po', namespace: 'prod' } }));
    expect(list).toMatch(/prod\/web-1 {2}phase=Running {2}node=ovn-worker {2}ip=10\.128\.0\.6/);
    const get = textOf(await client.callTool({ name: 'k8s_get', arguments: { kind: 'Pod', name: 'web-1' } }));
    expect(get).toMatch(/podIP: 10\.128\.0\.6/);
    expect(get).not.toMatch(/managedFields/);
    const desc = textOf(await client.callTool({ name: 'k8s_describe', arguments: { kind: 'Pod', namespace: 'prod', name: 'web-1' } }));
    expect(desc).toMatch(/BackOff/);
    const logs = textOf(await client.callTool({ name: 'k8s_pod_logs', arguments: { namespace: 'prod', name: 'web-1' } }));
    expect(logs).toMatch(/line 4999$/);
    expect(logs).toMatch(/^\[earlier lines 1-\d+ of 5000 not shown/);
    const sec = await client.callTool({ name: 'k8s_get', arguments: { kind: 'Secret', namespace: 'prod', name: 'token' } });
    expect(sec.isError).toBe(true);
    expect(textOf(sec)).toMatch(/not served/);
    await client.close();
  });

  it('egressip_status summarises assignment and expected OVN rows; consistency check says not available', async () => {
    const { client } = await inMemoryClient(new FakeTarget(sampleObjects(), outputs));
    const s = textOf(await client.callTool({ name: 'egressip_status', arguments: {} }));
    expect(s).toMatch(/assigned 172\.18\.0\.33 -> ovn-worker \(Ready=True\)/);
    expect(s).toMatch(/NOT assigned: 172\.18\.0\.34/);
    expect(s).toMatch(/selected pods: 5 \(5 served/);
    const c = await client.callTool({ name: 'egressip_consistency_check', arguments: {} });
    expect(textOf(c)).toMatch(/not available|findings|consistent/i);
    await client.close();
  });

  describe('streamable HTTP', () => {
    const TOKEN = 'test-token-0123456789abcdef';
    let h: HttpServerHandle;
    beforeAll(async () => {
      h = await serveHttp({ target: new FakeTarget(sampleObjects(), outputs), tools: selectTools(), port: 0, authToken: TOKEN });
    });
    afterAll(async () => {
      await h.close();
    });
    it('serves list and call over HTTP sessions on 127.0.0.1', async () => {
      expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const client = new Client({ name: 'http-test', version: '0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(h.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }),
      );
      expect((await client.listTools()).tools.length).toBe(ALL_TOOLS.length);
      const r = await client.callTool({ name: 'ovn_lr_nat_list', arguments: { node: 'ovn-worker', router: 'GR_ovn-worker' } });
      expect(textOf(r)).toMatch(/ok/);
      await client.close();
    });
    it('refuses requests without a session or with a foreign Host header', async () => {
      const r = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(r.status).toBe(400);
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '0' } },
      });
      const r2 = await new Promise<{ status: number }>((resolve, reject) => {
        const req = request(
          h.url,
          {
            method: 'POST',
            headers: { host: 'evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0 });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(r2.status).toBeGreaterThanOrEqual(400);
    });
  });
});

describe('output budget (pure)', () => {
  it('pages, cuts long lines and counts tokens', () => {
    const text = Array.from({ length: 2048 }, (_, i) => `line ${i} ${'x'.repeat(i === 5 ? 5000 : 20)}`).join('\n');
    const p = pageText(text, { budgetBytes: 8192 });
    expect(p.truncated).toBe(true);
    expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(8192);
    expect(p.text).toMatch(/line cut at 1000 of 5007 chars/);
    expect(p.text).toMatch(/\[showing lines 1-\d+ of 2048; output budget 8192 bytes; pass grep=<regex>, offset=\d+ to narrow or page\]/);
    const g = pageText(text, { budgetBytes: 8192, grep: '^line 7\\d\\b' });
    expect(g.matched).toBe(10);
    expect(pageText(text, { budgetBytes: 8192, grep: 'nomatch' }).text).toMatch(/no lines match grep/);
    expect(approxTokens('abcdefgh')).toBe(2);
  });
});
