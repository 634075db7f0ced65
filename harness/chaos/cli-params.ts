/**
 * `--param k=v` and duration flags of `netharness chaos`, read against the templates' zod types (chaos/kinds/).
 * Apart from harness/chaos/command.ts so the command's definition (its help) does not load the templates.
 */
import { UsageError } from '../errors.ts';
import { parseGoDuration } from '../../chaos/model.ts';
import { TEMPLATE_IDS, isTemplateId } from './templates.ts';
import { listTemplates } from './docs.ts';

/** Param names by how a `--param` value is read, from the templates' zod types (chaos/kinds/). */
const PARAM_SHAPES = paramShapes();

function paramShapes(): { lists: Set<string>; ints: Set<string> } {
  const lists = new Set<string>();
  const ints = new Set<string>();
  for (const t of listTemplates())
    for (const p of t.params) {
      if (p.expected.startsWith('comma-separated list')) lists.add(p.name);
      else if (p.expected === 'number' || p.expected === 'integer') ints.add(p.name);
    }
  return { lists, ints };
}

/** `k=v` strings to template params: lists split on commas, integers parsed. */
export function parseParams(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of pairs) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--param ${kv}: expected key=value`);
    const k = kv.slice(0, i);
    const v = kv.slice(i + 1);
    if (PARAM_SHAPES.lists.has(k)) out[k] = v === '' ? [] : v.split(',').map((x) => x.trim());
    else if (PARAM_SHAPES.ints.has(k)) {
      if (!/^-?\d+$/.test(v)) throw new UsageError(`--param ${k}: expected an integer, got '${v}'`);
      out[k] = Number(v);
    } else out[k] = v;
  }
  return out;
}

export function durationMs(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseGoDuration(v);
  if (ms === undefined || ms < 0) throw new UsageError(`${flag}: expected a duration like 30s or 2m, got '${v}'`);
  return ms;
}

/** a known template id, else a usage error listing them */
export function template(id: string): string {
  if (!isTemplateId(id)) throw new UsageError(`unknown chaos template '${id}'`, `templates: ${TEMPLATE_IDS.join(', ')}`);
  return id;
}
