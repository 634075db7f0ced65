/**
 * The agents `--agent NAME` selects. One line per agent: a factory taking the `--agent-param k=v` pairs
 * (a model name, a script file, ...). An agent module is one value (evals/agents/types.ts Agent).
 */
import { UsageError } from '../../harness/errors.ts';
import type { Agent } from './types.ts';
import { scriptedAgent } from './scripted.ts';
import { constantAgentFactory } from './constant.ts';
import { randomAgentFactory } from './random.ts';
import { referenceAgentFactory } from './reference.ts';
import { modelAgents } from './model/index.ts';

export type AgentFactory = (params: Record<string, string>) => Agent;

const agents = new Map<string, { description: string; make: AgentFactory }>([
  ['reference', { description: 'the default: a deterministic playbook through the MCP tools only', make: referenceAgentFactory }],
  ['scripted', { description: 'plays a fixed script of MCP calls (--agent-param script=FILE; runner tests)', make: scriptedAgent }],
  [
    'constant',
    {
      description: 'baseline: always the most common category of the suite (--agent-param cases=GLOB or category=C)',
      make: constantAgentFactory,
    },
  ],
  [
    'random',
    { description: 'baseline: a taxonomy category drawn with the trial seed (--agent-param categories=a,b)', make: randomAgentFactory },
  ],
  // openai, anthropic, no-tools (evals/agents/model/)
  ...modelAgents,
]);

/** Add an agent (agent modules call this from this file; tests may add fakes). Returns a remover. */
export function registerAgent(name: string, description: string, make: AgentFactory): () => void {
  if (agents.has(name)) throw new Error(`agent '${name}' is registered twice`);
  agents.set(name, { description, make });
  return () => {
    agents.delete(name);
  };
}

export function agentNames(): { name: string; description: string }[] {
  return [...agents].map(([name, a]) => ({ name, description: a.description }));
}

export function makeAgent(name: string, params: Record<string, string> = {}): Agent {
  const a = agents.get(name);
  if (!a) throw new UsageError(`--agent: no agent '${name}' (have: ${[...agents.keys()].join(', ')})`);
  return a.make(params);
}
