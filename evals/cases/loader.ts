/**
 * Case loader: YAML -> zod (evals/cases/schema.ts). Every error names the file and the field
 * (`evals/cases/x.yaml: truth.entities.0.name: must not be empty`) and is a UsageError (exit 2).
 * A suite is a glob of case files; the default is every evals/cases/*.yaml.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../../harness/errors.ts';
import { FAULT_IDS } from '../../faults/index.ts';
import { EvalCase, isHealthyTruth } from './schema.ts';

export const CASES_DIR = dirname(fileURLToPath(import.meta.url));

export class CaseLoadError extends UsageError {
  override name = 'CaseLoadError';
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
  ) {
    super(
      `${file}: ${field ? `${field}: ` : ''}${detail}`,
      'the case format is documented in evals/README.md (schema: schemas/eval-case.schema.json)',
    );
  }
}

export interface LoadedCase {
  case: EvalCase;
  /** path as given / found (relative to the cwd when under it) */
  file: string;
}

function display(file: string): string {
  const r = relative(process.cwd(), file);
  return r && !r.startsWith('..') ? r : file;
}

function firstIssue(file: string, err: z.ZodError): CaseLoadError {
  const i = err.issues[0]!;
  const field = i.path.map(String).join('.');
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more)` : '';
  return new CaseLoadError(file, field, `${i.message}${more}`);
}

/** Parse and validate one case from its text (file is used in messages only). */
export function parseCase(text: string, file: string): EvalCase {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new CaseLoadError(file, at, `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new CaseLoadError(file, '', `invalid YAML: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new CaseLoadError(file, '', 'expected a mapping (id, title, tags, setup, ...)');
  const r = EvalCase.safeParse(raw);
  if (!r.success) throw firstIssue(file, r.error);
  return r.data;
}

/** Load one case file; its id must equal the file name (`<id>.yaml`). */
export function loadCaseFile(path: string): LoadedCase {
  const file = display(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CaseLoadError(file, '', `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const c = parseCase(text, file);
  const stem = basename(path).replace(/\.ya?ml$/, '');
  if (stem !== c.id) throw new CaseLoadError(file, 'id', `'${c.id}' differs from the file name '${stem}' (name the file <id>.yaml)`);
  return { case: c, file };
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&'))
          .join('|')})`;
        i = end;
      }
    } else re += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

/** Files of a case glob (`evals/cases/*.yaml`, `evals/cases/eip-*.yaml`, a directory, or one file), sorted. */
export function resolveCaseFiles(glob: string): string[] {
  if (!/[*?{]/.test(glob)) {
    if (!existsSync(glob))
      throw new UsageError(`--cases: '${glob}' does not exist`, 'give a case file, a directory or a glob such as evals/cases/*.yaml');
    if (statSync(glob).isDirectory()) return resolveCaseFiles(join(glob, '*.yaml'));
    return [glob];
  }
  const parts = glob.split(/[\\/]/);
  const firstWild = parts.findIndex((p) => /[*?{]/.test(p));
  const base = parts.slice(0, firstWild).join('/') || '.';
  if (!existsSync(base) || !statSync(base).isDirectory()) throw new UsageError(`--cases: directory '${base}' of '${glob}' does not exist`);
  const re = globToRegExp(resolve(glob).split(sep).join('/'));
  const all: string[] = [];
  walk(base, all);
  const files = all.filter((f) => re.test(resolve(f).split(sep).join('/')) && /\.ya?ml$/.test(f)).sort();
  if (!files.length) throw new UsageError(`--cases: '${glob}' matches no .yaml file`);
  return files;
}

export interface LoadOptions {
  /** a glob, directory or file; default every evals/cases/*.yaml */
  cases?: string;
}

/** Load a suite; ids must be unique. */
export function loadCases(opts: LoadOptions = {}): LoadedCase[] {
  const files = resolveCaseFiles(opts.cases ?? join(CASES_DIR, '*.yaml'));
  const out: LoadedCase[] = [];
  const ids = new Map<string, string>();
  for (const f of files) {
    const lc = loadCaseFile(f);
    const prev = ids.get(lc.case.id);
    if (prev) throw new CaseLoadError(lc.file, 'id', `'${lc.case.id}' is also the id of ${prev}`);
    ids.set(lc.case.id, lc.file);
    out.push(lc);
  }
  return out;
}

export interface References {
  /** fault ids of the library (default: the catalogue, faults/index.ts; null: any id, for a lab with its own switch) */
  faultIds?: readonly string[] | null;
  /** registered checks and their finding kinds */
  checks?: readonly { name: string; findingKinds: readonly string[] }[];
}

/** Cross-check a loaded case against the registries (fault library, checks): unknown names are load errors. */
export function checkReferences(lc: LoadedCase, refs: References): void {
  const c = lc.case;
  const faultIds = refs.faultIds === undefined ? FAULT_IDS : refs.faultIds;
  [...c.fault, ...c.heal].forEach((s, j) => {
    const field = j < c.fault.length ? `fault.${j}.id` : `heal.${j - c.fault.length}.id`;
    if (s.kind === 'library' && faultIds && !faultIds.includes(s.id))
      throw new CaseLoadError(lc.file, field, `'${s.id}' is not a fault of the library (have: ${faultIds.join(', ')})`);
  });
  c.gate.all.forEach((g, i) => {
    if ((g.kind === 'finding' || g.kind === 'check-passes') && refs.checks) {
      const ch = refs.checks.find((x) => x.name === g.check);
      if (!ch)
        throw new CaseLoadError(
          lc.file,
          `gate.all.${i}.check`,
          `'${g.check}' is not a registered check (have: ${refs.checks.map((x) => x.name).join(', ')})`,
        );
      if (g.kind === 'finding' && !ch.findingKinds.includes(g.findingKind))
        throw new CaseLoadError(
          lc.file,
          `gate.all.${i}.findingKind`,
          `'${g.findingKind}' is not a finding kind of check ${g.check} (have: ${ch.findingKinds.join(', ')})`,
        );
    }
  });
}

/** One row of `eval list`. */
export interface CaseListRow {
  id: string;
  title: string;
  layer: string;
  difficulty: string;
  tags: string[];
  control: boolean;
  liveSafe: boolean;
  file: string;
}

export function listRow(lc: LoadedCase): CaseListRow {
  const c = lc.case;
  return {
    id: c.id,
    title: c.title,
    layer: c.tags.layer,
    difficulty: c.tags.difficulty,
    tags: c.tags.extra,
    control: isHealthyTruth(c.truth),
    liveSafe: c.liveSafe,
    file: lc.file,
  };
}
