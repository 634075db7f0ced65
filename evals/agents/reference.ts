/**
 * `--agent reference` (the default): a deterministic playbook that proves a case solvable through the MCP
 * tools alone. It gets the question and an MCP transport to the recording proxy, nothing else: it never
 * reads the case file, its truth, the fault library or the cluster behind the tools. Its survey
 * (evals/agents/reference/playbook.ts) checks nodes and the OVN-Kubernetes pods, then the PTP clocks or the
 * EgressIP rules or the node the question names (ovn-controller, ovs-vswitchd, routes, links, ports, the SB
 * following the NB), and answers with submit_rca from the first conclusive observation.
 */
import type { Agent, AgentResult, TranscriptEntry } from './types.ts';
import { Tools } from './reference/mcp.ts';
import { diagnose } from './reference/playbook.ts';

export const referenceAgent: Agent = {
  name: 'reference',
  description: 'deterministic playbook through the MCP tools only (proves every case solvable)',
  kind: 'reference',
  async run(ctx): Promise<AgentResult> {
    const transcript: TranscriptEntry[] = [{ role: 'user', content: ctx.question, at: new Date().toISOString() }];
    const tools = await Tools.open(ctx, transcript);
    try {
      const d = await diagnose(tools, ctx.question);
      const { evidence, ...answer } = d;
      transcript.push({ role: 'note', content: `evidence: ${evidence}`, at: new Date().toISOString() });
      await tools.call('submit_rca', { ...answer, confidence: d.detected ? 0.9 : 0.8 });
      const text = d.detected
        ? `Root cause (${d.category}) on ${d.entities.join(', ')}: ${d.mechanism} Fix: ${d.remediation}`
        : d.mechanism;
      transcript.push({ role: 'assistant', content: text, at: new Date().toISOString() });
      return { answer: { submitted: answer, text }, usage: { inputTokens: 0, outputTokens: 0 }, steps: 0, transcript };
    } finally {
      await tools.close();
    }
  },
};

export const referenceAgentFactory = (): Agent => referenceAgent;
