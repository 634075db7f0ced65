import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderScenarioSchemas } from '../../schemas/generate.ts';
import { resolveParams } from '../../harness/runner/params.ts';
import { loadScenario } from '../../scenarios/index.ts';

const dir = join(import.meta.dirname, '..', '..', 'schemas', 'scenarios');

describe('scenario params JSON Schemas', () => {
  it('the committed schemas match the scenarios (run `npm run schemas` after changing params)', async () => {
    const rendered = await renderScenarioSchemas();
    expect(rendered.size).toBeGreaterThanOrEqual(3);
    for (const [file, text] of rendered) {
      const path = join(dir, file);
      expect(existsSync(path), `${file} missing: run npm run schemas`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${file} stale: run npm run schemas`).toBe(text);
    }
  });

  it('a schema describes what the runner accepts: defaults, bounds and no unknown keys', async () => {
    const s = JSON.parse(readFileSync(join(dir, 'corenet-6498.params.schema.json'), 'utf8')) as {
      additionalProperties?: boolean;
      properties: Record<string, { default?: unknown; minimum?: number; enum?: string[] }>;
      required?: string[];
    };
    expect(s.additionalProperties).toBe(false);
    expect(s.required ?? []).toEqual([]);
    expect(s.properties.eips.default).toBe(10);
    expect(s.properties.podsPerEip.default).toBe(200);
    expect(s.properties.iterations.default).toBe(20);
    expect(s.properties.ipStack.enum).toEqual(['ipv4', 'ipv6', 'dual']);
    // the runner enforces the same bound the schema publishes
    const scn = await loadScenario('corenet-6498');
    expect(() => resolveParams(scn!.meta.params, { pairs: [`eips=${(s.properties.eips.minimum ?? 1) - 1}`] })).toThrow(/eips/);
  });
});
