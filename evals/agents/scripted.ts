/**
 * `--agent scripted --agent-param script=FILE`: a test agent that plays a fixed script of MCP calls through
 * the proxy, like a model would, and then answers. For the runner's own tests (a write through a writable
 * server, a server killed mid-trial, Ctrl-C during a trial); it proves nothing about a case.
 *
 *   {"steps": [
 *     {"call": "pods_list_in_namespace", "args": {"namespace": "tenant-a"}, "capture": {"pod": "client-[a-z0-9]+-[a-z0-9]+"}},
 *     {"call": "pods_delete", "args": {"namespace": "tenant-a", "name": "${pod}"}},
 *     {"log": "deleted"}, {"sleep": 500},
 *     {"submit": {"detected": false, "entities": [], "mechanism": "", "remediation": ""}}
 *   ], "text": "final words"}
 *
 * `{"spend": {"steps": 1, "inputTokens": 900, "outputTokens": 100}}` plays a model round trip: it is reported to
 * the runner (TrialContext.spend, which stops the agent over --max-steps / --max-tokens) and counted in the
 * result's usage; with `--agent-param report=false` it is only counted in the result.
 *
 * `capture` keeps the first match of a regular expression in the result text; `${name}` in later string
 * arguments is replaced by it. `log` prints `scripted: <text>` on stderr (tests wait for it). The agent
 * stops at the trial's signal (Ctrl-C, the time budget).
 */
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { z } from 'zod';
import { UsageError } from '../../harness/errors.ts';
import type { Agent, AgentResult, TranscriptEntry } from './types.ts';

const Step = z.union([
  z.strictObject({
    call: z.string().min(1),
    args: z.record(z.string(), z.unknown()).default({}),
    capture: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({ sleep: z.number().int().min(0).max(600_000) }),
  z.strictObject({ log: z.string() }),
  z.strictObject({
    spend: z.strictObject({
      steps: z.number().int().min(0).default(0),
      inputTokens: z.number().int().min(0).default(0),
      outputTokens: z.number().int().min(0).default(0),
    }),
  }),
  z.strictObject({ submit: z.record(z.string(), z.unknown()) }),
]);
export const Script = z.strictObject({ steps: z.array(Step), text: z.string().default('') });
export type Script = z.output<typeof Script>;

export function loadScript(path: string | undefined): Script {
  if (!path) throw new UsageError('--agent scripted needs --agent-param script=FILE (a JSON script, see evals/agents/scripted.ts)');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--agent-param script: cannot read ${path} as JSON: ${(err as Error).message}`);
  }
  const r = Script.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`--agent-param script ${path}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return r.data;
}

function fill(v: unknown, vars: Record<string, string>): unknown {
  if (typeof v === 'string') return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, k: string) => vars[k] ?? m);
  if (Array.isArray(v)) return v.map((x) => fill(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars)]));
  return v;
}

const abortable = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

export function scriptedAgent(params: Record<string, string>): Agent {
  const script = loadScript(params.script);
  // report=false: spend silently (an agent that never reports is judged on its result's totals)
  if (params.report !== undefined && params.report !== 'true' && params.report !== 'false')
    throw new UsageError(`--agent-param report: true or false, got '${params.report}'`);
  const unreported = params.report === 'false';
  return {
    name: 'scripted',
    description: 'plays a fixed script of MCP calls (runner tests)',
    kind: 'baseline',
    async run(ctx): Promise<AgentResult> {
      const transcript: TranscriptEntry[] = [];
      const note = (role: TranscriptEntry['role'], content: string) => transcript.push({ role, content, at: new Date().toISOString() });
      note('user', ctx.question);
      const client = new Client({ name: 'netharness-scripted-agent', version: '0.1.0' });
      await client.connect(await ctx.connect());
      const vars: Record<string, string> = {};
      const spent = { steps: 0, inputTokens: 0, outputTokens: 0 };
      try {
        for (const s of script.steps) {
          if (ctx.signal.aborted) throw ctx.signal.reason as Error;
          if ('sleep' in s) await abortable(s.sleep, ctx.signal);
          else if ('log' in s) ctx.log(`scripted: ${s.log}`);
          else if ('spend' in s) {
            // what a model agent reports after each round trip
            spent.steps += s.spend.steps;
            spent.inputTokens += s.spend.inputTokens;
            spent.outputTokens += s.spend.outputTokens;
            note('note', `spent ${JSON.stringify(s.spend)}`);
            if (!unreported) ctx.spend?.(s.spend);
          } else {
            const name = 'submit' in s ? 'submit_rca' : s.call;
            const args = fill('submit' in s ? s.submit : s.args, vars) as Record<string, unknown>;
            note('assistant', `call ${name} ${JSON.stringify(args)}`);
            const r = (await client.callTool({ name, arguments: args }, undefined, { signal: ctx.signal })) as {
              content?: { type: string; text?: string }[];
              isError?: boolean;
            };
            const text = (r.content ?? []).map((c) => c.text ?? '').join('\n');
            note('tool', `${r.isError ? 'error: ' : ''}${text.slice(0, 2000)}`);
            if ('capture' in s && s.capture)
              for (const [k, re] of Object.entries(s.capture)) {
                const m = new RegExp(re).exec(text);
                if (m) vars[k] = m[0];
              }
          }
        }
      } finally {
        await client.close().catch(() => undefined);
      }
      note('assistant', script.text);
      return {
        answer: { text: script.text },
        usage: { inputTokens: spent.inputTokens, outputTokens: spent.outputTokens },
        steps: spent.steps,
        transcript,
      };
    },
  };
}
