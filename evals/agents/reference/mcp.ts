/**
 * The reference agent's only way to the cluster: an MCP client on the trial's transport (the recording
 * proxy). Each call returns the tool's text and whether the tool reported an error; a call the proxy
 * refuses or a dead server is an AgentInfraError (not a wrong answer).
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { TrialContext, TranscriptEntry } from '../types.ts';
import { AgentInfraError } from '../types.ts';

export interface ToolOut {
  text: string;
  isError: boolean;
}

/** errors a human would just retry: the pod behind a node tool was replaced a moment ago */
const TRANSIENT = /could not start|Unexpected server response|is terminating|not found|no ovnkube-node pod|ECONNRESET|timed out/i;

export class Tools {
  calls = 0;
  private constructor(
    private readonly client: Client,
    private readonly ctx: TrialContext,
    private readonly transcript: TranscriptEntry[],
  ) {}

  /** tool calls left in the trial's budget */
  get left(): number {
    return this.ctx.budgets.maxToolCalls - this.calls;
  }

  static async open(ctx: TrialContext, transcript: TranscriptEntry[]): Promise<Tools> {
    // every call in flight holds an abort listener on the trial's signal (the SDK removes it when the call ends); the
    // playbook reads nodes in parallel, past Node's default of 10 ("possible EventTarget memory leak" on stderr).
    // A trial makes at most maxToolCalls calls, so that many listeners (and the runner's own) is the real bound.
    setMaxListeners(Math.max(getMaxListeners(ctx.signal), ctx.budgets.maxToolCalls + 10), ctx.signal);
    const client = new Client({ name: 'netharness-reference-agent', version: '0.1.0' });
    await client.connect(await ctx.connect());
    return new Tools(client, ctx, transcript);
  }

  /** A call, retried a few times when the tool failed for a transient reason (a pod just restarted under it). */
  async call(name: string, args: Record<string, unknown> = {}): Promise<ToolOut> {
    for (let i = 0; ; i++) {
      const r = await this.once(name, args);
      if (!r.isError || !TRANSIENT.test(r.text) || i >= 5) return r;
      await new Promise((res) => setTimeout(res, 1000));
    }
  }

  private async once(name: string, args: Record<string, unknown>): Promise<ToolOut> {
    if (this.ctx.signal.aborted) throw this.ctx.signal.reason as Error;
    if (this.calls >= this.ctx.budgets.maxToolCalls) throw new AgentInfraError(`tool-call budget ${this.ctx.budgets.maxToolCalls} spent`);
    this.calls++;
    const at = () => new Date().toISOString();
    this.transcript.push({ role: 'assistant', content: `call ${name} ${JSON.stringify(args)}`, at: at() });
    let r: { content?: { type: string; text?: string }[]; isError?: boolean };
    try {
      r = (await this.client.callTool({ name, arguments: args }, undefined, { signal: this.ctx.signal, timeout: 120_000 })) as typeof r;
    } catch (err) {
      if (this.ctx.signal.aborted) throw err;
      throw new AgentInfraError(`${name}: ${(err as Error).message}`);
    }
    const text = (r.content ?? []).map((c) => c.text ?? '').join('\n');
    this.transcript.push({ role: 'tool', content: `${r.isError ? 'error: ' : ''}${text.slice(0, 1500)}`, at: at() });
    return { text, isError: r.isError === true };
  }

  close(): Promise<void> {
    return this.client.close().catch(() => undefined);
  }
}
