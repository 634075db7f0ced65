/**
 * JSON Schema of an eval case file (evals/cases/*.yaml), generated from the zod schema the loader validates
 * with (evals/cases/schema.ts). A case file that starts with
 * `# yaml-language-server: $schema=../../schemas/eval-case.schema.json` gets completion and validation.
 */
import { z } from 'zod';
import { EvalCase } from '../evals/cases/schema.ts';

export const EVAL_CASE_SCHEMA_FILE = 'eval-case.schema.json';

export function renderEvalCaseSchema(): string {
  // 'input': what an author writes (defaulted fields optional); refinements (placeholders, targets order) are the loader's.
  const js = z.toJSONSchema(EvalCase, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const out = { ...js, title: 'netharness eval case', description: 'One eval case (evals/README.md describes the format).' };
  return `${JSON.stringify(out, null, 2)}\n`;
}
