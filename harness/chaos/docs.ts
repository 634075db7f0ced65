/**
 * What derives from the chaos kind registry (chaos/kinds/): the kinds and templates for `chaos list`
 * (text and --json), the tables in chaos/README.md (between `<!-- chaos:begin -->` and
 * `<!-- chaos:end -->`) and the CRD file the embedded cluster serves. test/chaos/docs.test.ts fails
 * when the README or the CRD file drift.
 *   npx tsx harness/chaos/docs.ts --write     regenerate chaos/README.md's block and sim/api/crds/chaos-mesh.org.yaml
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAOS_KIND_DEFS, CHAOS_TEMPLATES, type ChaosKind, type TemplateId } from '../../chaos/model.ts';
import { commonParams } from '../../chaos/params.ts';
import { renderChaosCrdsYaml } from '../../chaos/crd.ts';
import { baseDef, describeExpected } from '../runner/params.ts';
import { projectRoot } from '../constants.ts';
import { markdownTable } from '../markdown.ts';

export interface TemplateParamInfo {
  name: string;
  /** what a --param value must be ('string', 'integer', 'one of a|b', ...) */
  expected: string;
  required: boolean;
  default?: unknown;
  /** one of the params every template takes (name, namespace, targetNamespace, app) */
  common: boolean;
}

export interface TemplateInfo {
  id: TemplateId;
  kind: ChaosKind;
  summary: string;
  params: TemplateParamInfo[];
}

export interface ChaosKindInfo {
  kind: ChaosKind;
  resource: string;
  description: string;
  /** what the embedded cluster does when a record is applied */
  embeddedEffect: string;
  templates: TemplateId[];
  source: string;
}

type FieldLike = Parameters<typeof baseDef>[0] & { safeParse(v: unknown): { success: boolean; data?: unknown } };

export function templateInfo(id: TemplateId): TemplateInfo {
  const t = CHAOS_TEMPLATES.get(id);
  if (!t) throw new Error(`unknown chaos template '${id}'`);
  const shape = t.def.params.shape as Record<string, FieldLike>;
  const params = Object.entries(shape).map(([name, field]): TemplateParamInfo => {
    const d = field.safeParse(undefined);
    return {
      name,
      expected: describeExpected(baseDef(field)),
      required: !d.success,
      ...(d.success && d.data !== undefined ? { default: d.data } : {}),
      common: name in commonParams,
    };
  });
  return { id, kind: t.kind, summary: t.def.summary, params };
}

export function listTemplates(): TemplateInfo[] {
  return [...CHAOS_TEMPLATES.keys()].map(templateInfo);
}

export function listKinds(): ChaosKindInfo[] {
  return Object.values(CHAOS_KIND_DEFS).map((d) => ({
    kind: d.kind as ChaosKind,
    resource: d.resource,
    description: d.description,
    embeddedEffect: d.embeddedEffect,
    templates: Object.keys(d.templates) as TemplateId[],
    source: d.source,
  }));
}

/** `chaos list` as text: one line per template, then the Schedule wrapper. */
export function renderChaosList(): string {
  const out = listTemplates().map(
    (t) => `${t.id.padEnd(18)} ${t.kind.padEnd(13)} ${t.params.map((p) => (p.required ? `${p.name} (required)` : p.name)).join(', ')}`,
  );
  out.push(
    `${'schedule'.padEnd(18)} ${'Schedule'.padEnd(13)} render <template> --schedule '@every 30s' [--history-limit N] [--concurrency-policy Forbid|Allow]`,
  );
  return `${out.join('\n')}\n`;
}

const fmtDefault = (v: unknown): string => (typeof v === 'string' ? `\`${v}\`` : Array.isArray(v) ? `\`${JSON.stringify(v)}\`` : String(v));

export const CHAOS_BEGIN =
  '<!-- chaos:begin (generated from chaos/kinds/; npx tsx harness/chaos/docs.ts --write; test/chaos/docs.test.ts) -->';
export const CHAOS_END = '<!-- chaos:end -->';

export function renderChaosMarkdown(): string {
  const kinds = markdownTable(
    ['kind', 'resource', 'in the embedded cluster', 'templates'],
    listKinds().map((k) => [`\`${k.kind}\``, `\`${k.resource}\``, k.embeddedEffect, k.templates.map((t) => `\`${t}\``).join(', ')]),
  );
  const templates = markdownTable(
    ['template', 'kind / action', 'params (besides the common ones)'],
    [
      ...listTemplates().map((t) => {
        const params = t.params
          .filter((p) => !p.common && p.name !== 'mode' && p.name !== 'value')
          .map((p) => `\`${p.name}\` (${p.required ? 'required' : fmtDefault(p.default)})`);
        return [`\`${t.id}\``, t.summary, params.join(', ') || '-'];
      }),
      [
        '`schedule`',
        'Schedule around any of the above',
        "`renderSchedule(rendered, { schedule: '@every 30s' | 5-field cron, historyLimit: 1, concurrencyPolicy: 'Forbid' })`",
      ],
    ],
  );
  return `${kinds}\n\n${templates}`;
}

export function chaosBlock(): string {
  return `${CHAOS_BEGIN}\n\n${renderChaosMarkdown()}\n\n${CHAOS_END}`;
}

export const CHAOS_README = join(projectRoot, 'chaos', 'README.md');
export const CHAOS_CRD_FILE = join(projectRoot, 'sim', 'api', 'crds', 'chaos-mesh.org.yaml');

/** Replace the generated block of chaos/README.md and rewrite the CRD file. */
export function writeChaosDocs(): void {
  const readme = readFileSync(CHAOS_README, 'utf8');
  const i = readme.indexOf(CHAOS_BEGIN);
  const j = readme.indexOf(CHAOS_END);
  if (i < 0 || j < i) throw new Error(`${CHAOS_README}: no ${CHAOS_BEGIN} ... ${CHAOS_END} block`);
  writeFileSync(CHAOS_README, readme.slice(0, i) + chaosBlock() + readme.slice(j + CHAOS_END.length));
  writeFileSync(CHAOS_CRD_FILE, renderChaosCrdsYaml());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--write')) writeChaosDocs();
  else process.stdout.write(`${chaosBlock()}\n`);
}
