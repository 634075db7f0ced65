/**
 * The recording proxy against real stdio MCP servers (a fixture server spawned twice): tool listing with
 * submit_rca, name collisions, recording, ${KUBECONFIG} expansion, budgets, submit_rca validation, a
 * server that dies mid-call (infra error, restarted by ensureUp), and mcp-config validation.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMcpConfig, parseMcpConfig, resolveForTarget, type McpConfig } from '../../evals/proxy/config.ts';
import { McpProxy, PROXY_SERVER } from '../../evals/proxy/proxy.ts';
import { UsageError } from '../../harness/errors.ts';
import { serveHttp } from '../../mcp/server.ts';
import { selectTools } from '../../mcp/tools/index.ts';
import { FakeTarget, sampleObjects } from '../mcp/fake-target.ts';
import { tempDir } from '../support/tmp.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'echo-mcp-server.ts');
const server = (extra: string[] = []) => ({ command: process.execPath, args: ['--import', 'tsx', FIXTURE, ...extra], env: {} });

type Text = { content: { type: string; text: string }[]; isError?: boolean };

async function client(p: ReturnType<McpProxy['beginTrial']>): Promise<Client> {
  const c = new Client({ name: 'test-agent', version: '0' });
  await c.connect(await p.connect());
  return c;
}

describe('recording proxy', () => {
  let proxy: McpProxy;
  const kubeconfig = '/tmp/some/kubeconfig';
  beforeAll(async () => {
    const cfg: McpConfig = resolveForTarget(
      parseMcpConfig({ mcpServers: { a: server(['--kc', '${KUBECONFIG}']), b: server() } }),
      kubeconfig,
    );
    proxy = await McpProxy.start(cfg, { connectTimeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => proxy?.close());

  it('offers every upstream tool (colliding names prefixed) and submit_rca', async () => {
    const names = proxy.tools().map((t) => t.name);
    expect(names).toContain('a__echo');
    expect(names).toContain('b__echo');
    expect(names).not.toContain('echo');
    expect(names.at(-1)).toBe('submit_rca');
    const s = proxy.beginTrial({ maxToolCalls: 10 });
    const c = await client(s);
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual([...names].sort());
    expect(c.getInstructions()).toContain('submit_rca');
    await s.end();
  });

  it('records server, tool, args, result bytes, latency and errors; KUBECONFIG reaches the server', async () => {
    const s = proxy.beginTrial({ maxToolCalls: 10 });
    const c = await client(s);
    const r = (await c.callTool({ name: 'a__echo', arguments: { msg: 'héllo' } })) as Text;
    expect(r.content[0].text).toBe('héllo');
    const env = JSON.parse(((await c.callTool({ name: 'a__env', arguments: {} })) as Text).content[0].text) as {
      kubeconfig: string;
      argv: string[];
    };
    expect(env.kubeconfig).toBe(kubeconfig);
    expect(env.argv).toEqual(['--kc', kubeconfig]);
    const f = (await c.callTool({ name: 'b__fail', arguments: {} })) as Text;
    expect(f.isError).toBe(true);
    const u = (await c.callTool({ name: 'nope', arguments: {} })) as Text;
    expect(u.isError).toBe(true);
    const bad = (await c.callTool({ name: 'b__echo', arguments: { msg: 42 } })) as Text;
    expect(bad.isError).toBe(true);
    const calls = s.calls;
    expect(calls.map((x) => [x.server, x.tool])).toEqual([
      ['a', 'echo'],
      ['a', 'env'],
      ['b', 'fail'],
      [PROXY_SERVER, 'nope'],
      ['b', 'echo'],
    ]);
    expect(calls[0]).toMatchObject({
      seq: 1,
      calledAs: 'a__echo',
      arguments: { msg: 'héllo' },
      result: 'héllo',
      resultBytes: 6,
      isError: false,
    });
    expect(calls[0].readOnlyHint).toBe(true);
    expect(calls[0].latencyMs).toBeGreaterThan(0);
    expect(calls[2].isError).toBe(true);
    expect(calls[3].error).toBe('unknown tool');
    expect(calls[4].isError).toBe(true);
    expect(s.infraError).toBeUndefined();
    await s.end();
    const after = (await c.callTool({ name: 'a__echo', arguments: { msg: 'x' } }).catch((e: Error) => e)) as Error;
    expect(after).toBeInstanceOf(Error);
  });

  it('keeps the last valid submit_rca, rejects invalid ones, and does not count it against the budget', async () => {
    const s = proxy.beginTrial({ maxToolCalls: 1 });
    const c = await client(s);
    const bad = (await c.callTool({ name: 'submit_rca', arguments: { detected: 'yes' } })) as Text;
    expect(bad.isError).toBe(true);
    expect(bad.content[0].text).toContain('detected');
    expect(s.submitted).toBeUndefined();
    await c.callTool({ name: 'a__echo', arguments: { msg: '1' } });
    const over = (await c.callTool({ name: 'a__echo', arguments: { msg: '2' } })) as Text;
    expect(over.isError).toBe(true);
    expect(over.content[0].text).toContain('budget');
    await c.callTool({ name: 'submit_rca', arguments: { detected: true, entities: ['worker-1'], mechanism: 'm', remediation: 'r' } });
    await c.callTool({ name: 'submit_rca', arguments: { detected: false } });
    expect(s.submitted).toEqual({ detected: false, entities: [], mechanism: '', remediation: '' });
    expect(s.toolCalls).toBe(1);
    expect(s.calls.filter((x) => x.error === 'tool-call budget exhausted')).toHaveLength(1);
    await s.end();
  });

  it('a server that dies mid-call makes the trial an infra error; ensureUp restarts it', async () => {
    const pid = proxy.pids().b;
    const s = proxy.beginTrial({ maxToolCalls: 10 });
    const c = await client(s);
    const r = (await c.callTool({ name: 'b__exit', arguments: {} })) as Text;
    expect(r.isError).toBe(true);
    expect(s.infraError).toMatch(/MCP server 'b' .*exited with code 3|MCP server 'b' .*closed/);
    const again = (await c.callTool({ name: 'b__echo', arguments: { msg: 'x' } })) as Text;
    expect(again.isError).toBe(true);
    await s.end();
    expect(await proxy.ensureUp()).toEqual(['b']);
    expect(proxy.pids().b).not.toBe(pid);
    const s2 = proxy.beginTrial({ maxToolCalls: 10 });
    const c2 = await client(s2);
    expect(((await c2.callTool({ name: 'b__echo', arguments: { msg: 'back' } })) as Text).content[0].text).toBe('back');
    expect(s2.infraError).toBeUndefined();
    await s2.end();
  }, 60_000);
});

describe('a streamable HTTP upstream ({url})', () => {
  it('is proxied and recorded like a stdio one', async () => {
    // a bearer token in `headers` reaches the server (servers that check one; netharness mcp does over HTTP)
    const token = 'eval-proxy-test-token-0123456789';
    const h = await serveHttp({
      target: new FakeTarget(sampleObjects()),
      tools: selectTools({ toolsets: ['k8s'] }),
      port: 0,
      authToken: token,
    } as Parameters<typeof serveHttp>[0]);
    const proxy = await McpProxy.start(
      parseMcpConfig({ mcpServers: { remote: { url: h.url, headers: { Authorization: `Bearer ${token}` } } } }),
    );
    try {
      expect(proxy.tools().map((t) => t.name)).toContain('k8s_list');
      const s = proxy.beginTrial({ maxToolCalls: 5 });
      const c = await client(s);
      const r = (await c.callTool({ name: 'k8s_list', arguments: { kind: 'Node' } })) as Text;
      expect(r.isError).toBeFalsy();
      expect(s.calls[0]).toMatchObject({ server: 'remote', tool: 'k8s_list', isError: false, readOnlyHint: true });
      expect(s.calls[0].resultBytes).toBeGreaterThan(0);
      await s.end();
    } finally {
      await proxy.close();
      await h.close();
    }
  });
  it('an unreachable url is an infra error naming the server', async () => {
    await expect(
      McpProxy.start(parseMcpConfig({ mcpServers: { gone: { url: 'http://127.0.0.1:1/mcp' } } }), { connectTimeoutMs: 5000 }),
    ).rejects.toThrow(/MCP server 'gone' did not start \(http:\/\/127\.0\.0\.1:1\/mcp\)/);
  });
});

describe('--mcp-config validation', () => {
  const dir = tempDir('mcpcfg-');
  const file = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };
  const fails = (fn: () => unknown, re: RegExp) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(re);
      return;
    }
    throw new Error('expected a UsageError');
  };
  it('names the field that is wrong', () => {
    fails(() => loadMcpConfig(join(dir, 'missing.json')), /cannot read .*ENOENT/);
    fails(() => loadMcpConfig(file('a.json', '{')), /not JSON/);
    fails(() => loadMcpConfig(file('b.json', '{"servers": {}}')), /mcpServers: .*expected record/);
    fails(() => loadMcpConfig(file('b2.json', '{"mcpServers": {"k": {"command": "x"}}, "extra": 1}')), /unknown field\(s\) extra/);
    fails(() => loadMcpConfig(file('c.json', '{"mcpServers": {}}')), /mcpServers: at least one server/);
    fails(() => loadMcpConfig(file('d.json', '{"mcpServers": {"k": {"args": []}}}')), /mcpServers\.k: expected \{command/);
    fails(() => loadMcpConfig(file('e.json', '{"mcpServers": {"k": {"command": "x", "args": "y"}}}')), /mcpServers\.k/);
    fails(() => loadMcpConfig(file('f.json', '{"mcpServers": {"bad name": {"command": "x"}}}')), /server names/);
    fails(() => loadMcpConfig(file('g.json', '{"mcpServers": {"k": {"url": "not a url"}}}')), /mcpServers\.k/);
  });
  it('expands ${KUBECONFIG} in args, env and url and sets KUBECONFIG for stdio servers', () => {
    const cfg = resolveForTarget(
      parseMcpConfig({
        mcpServers: {
          s: { command: 'srv', args: ['--kubeconfig', '${KUBECONFIG}', '${HOME}'], env: { X: 'k=${KUBECONFIG}' } },
          h: { url: 'http://127.0.0.1:1/mcp?kc=${KUBECONFIG}' },
        },
      }),
      '/k',
    );
    expect(cfg.mcpServers.s).toEqual({ command: 'srv', args: ['--kubeconfig', '/k', '${HOME}'], env: { X: 'k=/k', KUBECONFIG: '/k' } });
    expect(cfg.mcpServers.h).toEqual({ url: 'http://127.0.0.1:1/mcp?kc=/k', headers: {} });
  });
});
