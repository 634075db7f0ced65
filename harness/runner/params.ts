/**
 * Scenario params: zod schema defaults, then --quick overrides, then --params file.yaml, then --param k=v.
 * `--param` values are coerced to the schema type of the field. A bad value names the param and what was
 * expected (UsageError, exit 2); unknown params are rejected.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.ts';
import type { ParamsSchema } from './scenario.ts';

export interface ParamSources {
  /** overrides from the scenario's quick profile */
  quick?: Record<string, unknown>;
  /** path of a YAML (or JSON) file holding a mapping of params */
  file?: string;
  /** `k=v` strings from repeated --param */
  pairs?: string[];
}

interface ZodDefLike {
  type: string;
  innerType?: ZodLike;
  element?: ZodLike;
  entries?: Record<string, string | number>;
  values?: unknown[];
  in?: ZodLike;
  options?: ZodLike[];
}
interface ZodLike {
  _zod: { def: ZodDefLike };
}

/** The base type of a field: unwraps default / optional / nullable / prefault / readonly / pipe. */
export function baseDef(schema: ZodLike): ZodDefLike {
  let d = schema._zod.def;
  for (let i = 0; i < 16; i++) {
    if (
      (d.type === 'default' ||
        d.type === 'optional' ||
        d.type === 'nullable' ||
        d.type === 'prefault' ||
        d.type === 'readonly' ||
        d.type === 'catch') &&
      d.innerType
    )
      d = d.innerType._zod.def;
    else if (d.type === 'pipe' && d.in) d = d.in._zod.def;
    else break;
  }
  return d;
}

/** z.number().int(): a number with a safeint / int32 format check */
function isIntegerDef(def: ZodDefLike): boolean {
  const checks = (def as { checks?: { _zod?: { def?: { check?: string; format?: string } } }[] }).checks ?? [];
  return checks.some((c) => c._zod?.def?.check === 'number_format' && /int/.test(c._zod.def.format ?? ''));
}

/** Human description of what a field expects: 'integer', 'one of ipv4|ipv6|dual', 'list of (one of a|b)'. */
export function describeExpected(def: ZodDefLike): string {
  switch (def.type) {
    case 'number':
      return 'number';
    case 'int':
      return 'integer';
    case 'boolean':
      return 'boolean (true|false)';
    case 'string':
      return 'string';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).join('|')}`;
    case 'literal':
      return `${(def.values ?? []).map(String).join('|')}`;
    case 'array':
      return `comma-separated list of ${def.element ? describeExpected(baseDef(def.element)) : 'values'}`;
    default:
      return def.type;
  }
}

function coerceScalar(name: string, raw: string, def: ZodDefLike): unknown {
  switch (def.type) {
    case 'number':
    case 'int':
    case 'bigint': {
      // plain decimal only: Number() would take 0x2, 2e0, 0b1, ' 2 ' and Infinity, which nobody means for a count
      const t = raw.trim();
      const integer = def.type !== 'number' || isIntegerDef(def);
      const ok = integer ? /^[+-]?\d+$/.test(t) : /^[+-]?(\d+(\.\d+)?|\.\d+)$/.test(t);
      const n = ok ? Number(t) : NaN;
      if (!Number.isFinite(n))
        throw new UsageError(
          `--param ${name}=${raw}: expected ${integer ? 'integer' : describeExpected(def)} (plain decimal), got '${raw}'`,
        );
      return n;
    }
    case 'boolean': {
      const t = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw new UsageError(`--param ${name}=${raw}: expected boolean (true|false), got '${raw}'`);
    }
    case 'string':
    case 'enum':
      return raw;
    case 'literal': {
      const lit = (def.values ?? []).find((v) => String(v) === raw);
      return lit === undefined ? raw : lit;
    }
    default:
      try {
        return YAML.parse(raw) as unknown;
      } catch {
        return raw;
      }
  }
}

export function coerceParam(name: string, raw: string, field: ZodLike): unknown {
  const def = baseDef(field);
  if (def.type === 'array') {
    const el = def.element ? baseDef(def.element) : ({ type: 'unknown' } as ZodDefLike);
    const t = raw.trim();
    if (t.startsWith('[')) {
      let v: unknown;
      try {
        v = YAML.parse(t);
      } catch (err) {
        throw new UsageError(`--param ${name}=${raw}: not a valid list: ${(err as Error).message.split('\n')[0]}`);
      }
      return v;
    }
    if (t === '') return [];
    return t.split(',').map((s) => coerceScalar(name, s.trim(), el));
  }
  return coerceScalar(name, raw, def);
}

function readParamsFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--params ${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text, { uniqueKeys: true });
  } catch (err) {
    throw new UsageError(`--params ${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new UsageError(
      `--params ${path}: expected a mapping of param names to values, got ${Array.isArray(doc) ? 'a list' : typeof doc}`,
    );
  return doc as Record<string, unknown>;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

/** Validate and default the params. Throws UsageError naming the first bad param. */
export function resolveParams<S extends ParamsSchema>(schema: S, src: ParamSources = {}): z.output<S> {
  const shape = schema.shape as Record<string, ZodLike>;
  const known = Object.keys(shape);
  const merged: Record<string, unknown> = { ...(src.quick ?? {}) };
  const origin: Record<string, string> = {};
  const unknownParam = (k: string, where: string): UsageError =>
    new UsageError(`${where}: unknown param '${k}'`, `known params: ${known.join(', ') || '(none)'}`);
  if (src.file) {
    const fromFile = readParamsFile(src.file);
    for (const [k, v] of Object.entries(fromFile)) {
      if (!(k in shape)) throw unknownParam(k, `--params ${src.file}`);
      merged[k] = v;
      origin[k] = `--params ${src.file}: ${k}`;
    }
  }
  for (const pair of src.pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param '${pair}': expected k=v`);
    const k = pair.slice(0, eq).trim();
    const v = pair.slice(eq + 1);
    if (!(k in shape)) throw unknownParam(k, `--param ${pair}`);
    merged[k] = coerceParam(k, v, shape[k]);
    origin[k] = `--param ${k}`;
  }
  const res = schema.strict().safeParse(merged);
  if (res.success) return res.data as z.output<S>;
  const issue = res.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw unknownParam(issue.keys[0], 'params');
  const key = String(issue.path[0] ?? '');
  const where = origin[key] ?? (key ? `param ${key}` : 'params');
  const field = shape[key];
  const expected = field ? describeExpected(baseDef(field)) : '';
  let got = merged[key];
  for (const p of issue.path.slice(1))
    got = got && typeof got === 'object' ? (got as Record<string | number, unknown>)[p as string | number] : undefined;
  const detail = issue.path.length > 1 ? ` at ${issue.path.join('.')}` : '';
  throw new UsageError(
    `${where}${detail}: ${issue.message}${expected ? ` (expected ${expected})` : ''}, got ${typeName(got)} ${JSON.stringify(got)}`,
  );
}

/** One line per param: name, type, default. For `scenario <name> --help`-style listings. */
export function describeParams(schema: ParamsSchema): { name: string; expected: string; default: unknown }[] {
  const shape = schema.shape as Record<string, ZodLike>;
  const defaults = schema.safeParse({});
  return Object.keys(shape).map((name) => ({
    name,
    expected: describeExpected(baseDef(shape[name])),
    default: defaults.success ? (defaults.data as Record<string, unknown>)[name] : undefined,
  }));
}
