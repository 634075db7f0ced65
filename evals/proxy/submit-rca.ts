/**
 * `submit_rca`: the answer tool the proxy offers every agent beside the servers' tools. Its arguments
 * are the structured answer (evals/agents/types.ts RcaAnswer); the last valid call of a trial is the
 * answer. The description is neutral: it names the fields, never a cause.
 */
import { z } from 'zod';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RcaAnswer } from '../agents/types.ts';

export const SUBMIT_RCA = 'submit_rca';

export const rcaAnswerSchema = z
  .object({
    detected: z.boolean().describe('true if something is wrong; false if the cluster is healthy'),
    category: z
      .string()
      .max(200)
      .optional()
      .describe('the fault category as layer/fault-class (layers: k8s, ovnkube, ovn, ovs, kernel, ptp), when you can name one'),
    entities: z
      .array(z.string().min(1).max(300))
      .max(50)
      .default([])
      .describe('the root-cause entities: node, pod (namespace/name), EgressIP, logical router / switch / port, process, ...'),
    mechanism: z.string().max(20_000).default('').describe('what is wrong and how it causes the symptom'),
    remediation: z.string().max(20_000).default('').describe('how to fix it'),
    confidence: z.number().min(0).max(1).optional().describe('0..1'),
  })
  .strict();

export const submitRcaTool: Tool = {
  name: SUBMIT_RCA,
  title: 'Submit the root-cause analysis',
  description:
    'Submit your final root-cause analysis once you are done investigating. Call it once; a later call replaces the earlier answer. It does not touch the cluster.',
  inputSchema: z.toJSONSchema(rcaAnswerSchema, { io: 'input' }) as Tool['inputSchema'],
  annotations: {
    title: 'Submit the root-cause analysis',
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
};

export type ParsedSubmission = { ok: true; answer: RcaAnswer } | { ok: false; error: string };

export function parseSubmission(args: unknown): ParsedSubmission {
  const r = rcaAnswerSchema.safeParse(args ?? {});
  if (r.success) return { ok: true, answer: r.data };
  const i = r.error.issues[0];
  return { ok: false, error: `submit_rca: ${i.path.join('.') || '(arguments)'}: ${i.message}` };
}
