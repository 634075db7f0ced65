/**
 * The model flags of `netharness eval` (--model, --base-url, --provider, --temperature,
 * --max-output-tokens, --system-prompt, --prices). They are the model agents' `--agent-param`s said as
 * flags: a hook before the action turns them into params (so the run records them with the agent's params,
 * and `--agent-param model=...` works the same). They belong to the model agents only: given to another
 * agent they are a usage error. No flag takes a key: keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY.
 */
import type { Command } from 'commander';
import { UsageError } from '../../../harness/errors.ts';

const FLAGS: [flag: string, param: string, help: string][] = [
  ['--model <name>', 'model', "model agents: the model (gpt-4o, claude-sonnet-4-5, a local server's model name)"],
  [
    '--base-url <url>',
    'baseUrl',
    'model agents: the provider endpoint (default https://api.openai.com/v1 / https://api.anthropic.com/v1; e.g. http://127.0.0.1:8000/v1 for vLLM)',
  ],
  ['--provider <p>', 'provider', 'the no-tools baseline: openai, openai-compatible (needs --base-url) or anthropic (default openai)'],
  ['--temperature <t>', 'temperature', "model agents: sampling temperature 0..2 (default: the provider's)"],
  ['--max-output-tokens <n>', 'maxOutputTokens', 'model agents: output tokens per step'],
  ['--system-prompt <id|file>', 'systemPrompt', 'model agents: a versioned prompt of evals/prompts/ (default rca-v1) or a file'],
  ['--prices <file>', 'prices', 'model agents: a price table (YAML, the shape of evals/pricing.yaml) over the built-in one'],
];

const camel = (flag: string) =>
  flag
    .slice(2)
    .split(' ')[0]
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function addModelFlags(ev: Command): void {
  for (const [flag, , help] of FLAGS) ev.option(flag, help);
  ev.hook('preAction', async (cmd, action) => {
    if (action !== cmd) return; // a subcommand (eval list, eval rescore)
    const o = cmd.opts<Record<string, unknown>>();
    const given = FLAGS.filter(([flag]) => o[camel(flag)] !== undefined);
    if (!given.length) return;
    // the model agents (the AI SDK) are loaded only when a model flag is given, not by `eval --help`
    const { MODEL_AGENTS } = await import('./index.ts');
    const agent = String(o.agent ?? '');
    if (!(MODEL_AGENTS as readonly string[]).includes(agent))
      throw new UsageError(
        `${given[0][0].split(' ')[0]}: only the model agents (${MODEL_AGENTS.join(', ')}) take it; --agent is '${agent}'`,
      );
    const pairs = given.map(([flag, param]) => `${param}=${String(o[camel(flag)])}`);
    // explicit --agent-param wins over a flag (it comes later)
    cmd.setOptionValue('agentParam', [...pairs, ...((o.agentParam as string[] | undefined) ?? [])]);
  });
}
