/**
 * Writes schemas/scenarios/<name>.params.schema.json for every registered scenario.
 * Run after changing a scenario's params: `npm run schemas` (a test fails while they are stale).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarioNames, loadScenario } from '../scenarios/index.ts';
import { paramsJsonSchema, schemaFileName } from '../harness/runner/schema.ts';
import { metricsProfileJsonSchema } from '../harness/metrics/profile.ts';
import { EVAL_CASE_SCHEMA_FILE, renderEvalCaseSchema } from './eval-case.ts';
import { PRICE_TABLE_SCHEMA_FILE, renderPriceTableSchema } from '../evals/pricing.ts';

/** schemas/metrics-profile.schema.json: metric profiles (metrics/profiles/*.yaml, --metrics-profile). */
export const METRICS_PROFILE_SCHEMA = 'metrics-profile.schema.json';
export const renderMetricsProfileSchema = (): string => `${JSON.stringify(metricsProfileJsonSchema(), null, 2)}\n`;

export async function renderScenarioSchemas(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of scenarioNames()) {
    const s = await loadScenario(name);
    if (!s) continue;
    out.set(schemaFileName(name), `${JSON.stringify(paramsJsonSchema(s.meta.name, s.meta.description, s.meta.params), null, 2)}\n`);
  }
  return out;
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(here, 'scenarios');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of await renderScenarioSchemas()) {
    writeFileSync(join(dir, file), text);
    process.stderr.write(`wrote schemas/scenarios/${file}\n`);
  }
  writeFileSync(join(here, METRICS_PROFILE_SCHEMA), renderMetricsProfileSchema());
  process.stderr.write(`wrote schemas/${METRICS_PROFILE_SCHEMA}\n`);
  writeFileSync(join(here, EVAL_CASE_SCHEMA_FILE), renderEvalCaseSchema());
  process.stderr.write(`wrote schemas/${EVAL_CASE_SCHEMA_FILE}\n`);
  writeFileSync(join(here, PRICE_TABLE_SCHEMA_FILE), renderPriceTableSchema());
  process.stderr.write(`wrote schemas/${PRICE_TABLE_SCHEMA_FILE}\n`);
}
