/**
 * The model agents for evals/agents/registry.ts: `openai` (Chat Completions, any base URL), `openai-compatible`
 * (Chat Completions through @ai-sdk/openai-compatible, --base-url required), `anthropic`
 * (Messages) and the `no-tools` baseline (the same model without cluster tools; --provider openai|anthropic).
 * Their settings come from the eval command's model flags (--model, --base-url, ...), keys from
 * OPENAI_API_KEY / ANTHROPIC_API_KEY.
 */
import type { Agent } from '../types.ts';
import { makeModelAgent } from './agent.ts';

type Entry = [string, { description: string; make: (params: Record<string, string>) => Agent }];

export const MODEL_AGENTS = ['openai', 'openai-compatible', 'anthropic', 'no-tools'] as const;

export const modelAgents: Entry[] = [
  [
    'openai',
    {
      description:
        'a model over the OpenAI Chat Completions protocol (--model, --base-url for vLLM/Ollama/llama.cpp/gateways; OPENAI_API_KEY)',
      make: (p) => makeModelAgent({ name: 'openai', provider: 'openai', tools: true }, p),
    },
  ],
  [
    'openai-compatible',
    {
      description:
        'a model on an OpenAI-compatible server through @ai-sdk/openai-compatible (--model, --base-url required; OPENAI_COMPATIBLE_API_KEY if the server needs one)',
      make: (p) => makeModelAgent({ name: 'openai-compatible', provider: 'openai-compatible', tools: true }, p),
    },
  ],
  [
    'anthropic',
    {
      description: 'a model over the Anthropic Messages protocol (--model, --base-url; ANTHROPIC_API_KEY)',
      make: (p) => makeModelAgent({ name: 'anthropic', provider: 'anthropic', tools: true }, p),
    },
  ],
  [
    'no-tools',
    {
      description: 'baseline: the same model (--provider openai|anthropic, --model) with no cluster tools, only submit_rca',
      make: (p) => makeModelAgent({ name: 'no-tools', tools: false }, p),
    },
  ],
];
