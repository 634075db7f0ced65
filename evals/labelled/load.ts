/**
 * The labelled answer set: answers to the cases, each labelled per level by a person (evals/labelled/README.md).
 * test/evals/labelled.test.ts scores every answer and asserts the scorer agrees with the labels.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../../harness/errors.ts';
import { rcaAnswerSchema } from '../proxy/submit-rca.ts';
import { POOLS } from '../cases/schema.ts';

export const LABELLED_DIR = dirname(fileURLToPath(import.meta.url));

const Labels = z.strictObject({
  detection: z.boolean(),
  localization: z.boolean().optional(),
  category: z.boolean().optional(),
  mechanism: z.boolean().optional(),
  remediation: z.boolean().optional(),
  overall: z.boolean(),
});
export type Labels = z.output<typeof Labels>;

const LabelledAnswer = z.strictObject({
  id: z.string().min(1),
  /** what kind of answer it is (correct, partial, wrong, over-attribution, hedged, aliases, free-text, ...) */
  kind: z.string().min(1),
  answer: z.strictObject({ submitted: rcaAnswerSchema.optional(), text: z.string().default('') }),
  labels: Labels,
  note: z.string().optional(),
});
export type LabelledAnswer = z.output<typeof LabelledAnswer>;

export const LabelledFile = z.strictObject({
  case: z.string().min(1),
  /** the labelling batch: each later batch was labelled before the scorer ever saw it (its first score is the held-out figure) */
  batch: z.number().int().min(1).default(1),
  bindings: z.strictObject({
    seed: z.number().int(),
    values: z.record(z.string(), z.string()),
    pools: z.partialRecord(z.enum(POOLS), z.array(z.string())).default({}),
  }),
  answers: z.array(LabelledAnswer).min(1),
});
export type LabelledFile = z.output<typeof LabelledFile>;

export function loadLabelled(dir = LABELLED_DIR): { file: string; data: LabelledFile }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const r = LabelledFile.safeParse(parse(readFileSync(join(dir, f), 'utf8'), { maxAliasCount: 1000 }));
      if (!r.success) {
        const i = r.error.issues[0]!;
        throw new UsageError(`evals/labelled/${f}: ${i.path.join('.')}: ${i.message}`);
      }
      return { file: f, data: r.data };
    });
}
