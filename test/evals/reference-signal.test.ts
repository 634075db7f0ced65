/**
 * The reference agent's MCP client on a trial's one AbortSignal: calls in flight at once (the playbook reads nodes in
 * parallel) each hold an abort listener, and more than Node's default 10 printed "MaxListenersExceededWarning:
 * Possible EventTarget memory leak detected" on `npm run eval`'s stderr. A real MCP server and client over the SDK's
 * in-memory transport; an abort still stops every call.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { Tools } from '../../evals/agents/reference/mcp.ts';
import type { TrialContext } from '../../evals/agents/types.ts';

function serve(delayMs: number): () => Promise<InMemoryTransport> {
  return async () => {
    const server = new McpServer({ name: 'slow', version: '0' });
    server.registerTool('slow', { description: 'answers after a while' }, async () => {
      await new Promise((r) => setTimeout(r, delayMs));
      return { content: [{ type: 'text' as const, text: 'done' }] };
    });
    const [client, srv] = InMemoryTransport.createLinkedPair();
    await server.connect(srv);
    return client;
  };
}

const ctx = (signal: AbortSignal, delayMs: number): TrialContext =>
  ({
    question: 'q',
    connect: serve(delayMs),
    budgets: { maxToolCalls: 100, maxSteps: 50, maxTokens: 1_000_000, maxSeconds: 600 },
    seed: 1,
    signal,
    log: () => undefined,
  }) as TrialContext;

describe('reference agent tools on one trial signal', () => {
  it('40 calls in flight at once: no MaxListenersExceededWarning, every call answers', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const t = await Tools.open(ctx(new AbortController().signal, 50), []);
    try {
      const rs = await Promise.all(Array.from({ length: 40 }, () => t.call('slow')));
      expect(rs.map((r) => r.text)).toEqual(rs.map(() => 'done'));
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
      await t.close();
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });

  it('an abort of the trial signal still ends the calls in flight', async () => {
    const ac = new AbortController();
    const t = await Tools.open(ctx(ac.signal, 5000), []);
    try {
      const pending = Promise.allSettled(Array.from({ length: 15 }, () => t.call('slow')));
      setTimeout(() => ac.abort(new Error('trial over')), 50);
      const rs = await pending;
      expect(rs.every((r) => r.status === 'rejected')).toBe(true);
    } finally {
      await t.close();
    }
  });
});
