/**
 * JSON Schema of a scenario's params, for editors: a `--params file.yaml` that starts with
 * `# yaml-language-server: $schema=../schemas/scenarios/<name>.params.schema.json` gets completion
 * and validation. Generated from the same zod schema the runner validates with.
 */
import { z } from 'zod';
import type { ParamsSchema } from './scenario.ts';

export function paramsJsonSchema(name: string, description: string | undefined, schema: ParamsSchema): Record<string, unknown> {
  // 'input': what a user writes (defaulted fields are optional), not what the scenario receives.
  const js = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  // The runner rejects unknown params, so editors should flag them too.
  return { ...js, additionalProperties: false, title: `${name} params`, ...(description ? { description } : {}) };
}

export function schemaFileName(name: string): string {
  return `${name}.params.schema.json`;
}
