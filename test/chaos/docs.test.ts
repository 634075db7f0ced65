/**
 * What derives from the chaos kind registry stays derived: chaos/README.md's tables, the CRD file the
 * embedded cluster serves, and `chaos list --json` (through the CLI, as a user runs it).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeBlockCells, tableCells } from '../support/markdown.ts';
import { parseAllDocuments } from 'yaml';
import { CHAOS_BEGIN, CHAOS_CRD_FILE, CHAOS_END, CHAOS_README, chaosBlock, listTemplates } from '../../harness/chaos/docs.ts';
import { chaosCrds, renderChaosCrdsYaml } from '../../chaos/crd.ts';
import { CHAOS_KIND_DEFS, CHAOS_TEMPLATES, validateChaos } from '../../chaos/model.ts';
import { renderTemplate } from '../../harness/chaos/templates.ts';

const root = join(import.meta.dirname, '..', '..');

const cells = tableCells;

describe('chaos docs derive from the kind registry', () => {
  it('chaos/README.md tables match (regenerate: npx tsx harness/chaos/docs.ts --write)', () => {
    const readme = readFileSync(CHAOS_README, 'utf8');
    expect(readmeBlockCells(readme, CHAOS_BEGIN, CHAOS_END)).toEqual(cells(chaosBlock()));
  });

  it('every kind and template is in the tables', () => {
    const md = chaosBlock();
    for (const k of Object.keys(CHAOS_KIND_DEFS)) expect(md).toContain(`| \`${k}\` |`);
    for (const id of CHAOS_TEMPLATES.keys()) expect(md).toContain(`| \`${id}\` |`);
  });

  it('sim/api/crds/chaos-mesh.org.yaml is generated from the kinds (regenerate: npx tsx harness/chaos/docs.ts --write)', () => {
    expect(readFileSync(CHAOS_CRD_FILE, 'utf8')).toBe(renderChaosCrdsYaml());
    const served = parseAllDocuments(readFileSync(CHAOS_CRD_FILE, 'utf8')).map((d) => d.toJS() as { spec: { names: { kind: string } } });
    expect(served.map((c) => c.spec.names.kind)).toEqual([...Object.keys(CHAOS_KIND_DEFS), 'Schedule']);
    expect(served).toEqual(chaosCrds());
  });

  it("each template's manifest renders to its own kind and passes its kind's webhook validation", () => {
    for (const t of listTemplates()) {
      const params = Object.fromEntries(
        t.params.filter((p) => p.required).map((p) => [p.name, p.expected.startsWith('comma-separated') ? ['10.0.0.1'] : 'worker-0']),
      );
      const r = renderTemplate(t.id, params);
      expect(r.kind).toBe(t.kind);
      expect(validateChaos(r.object)).toEqual([]);
    }
  });

  it('chaos list --json lists the kinds and the templates with their params', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'harness', 'cli.ts'), 'chaos', 'list', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      kinds: { kind: string; templates: string[] }[];
      templates: { id: string; kind: string; params: { name: string; required: boolean; default?: unknown }[] }[];
    };
    expect(out.kinds.map((k) => k.kind)).toEqual(Object.keys(CHAOS_KIND_DEFS));
    expect(out.templates.map((t) => t.id)).toEqual([...CHAOS_TEMPLATES.keys()]);
    const podKill = out.templates.find((t) => t.id === 'pod-kill');
    expect(podKill?.kind).toBe('PodChaos');
    expect(podKill?.params.find((p) => p.name === 'node')).toMatchObject({ required: true });
    expect(podKill?.params.find((p) => p.name === 'gracePeriod')).toMatchObject({ required: false, default: 0 });
  });
});
