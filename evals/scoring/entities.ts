/**
 * Localization: which truth entities an answer names (alias-aware), and which wrong ones.
 *
 * The names an answer can be wrong about are the trial's universe: every member of the pools the
 * targets were drawn from (other nodes, other EgressIPs) and the drawn values. Names the question itself
 * mentions are context (the namespace the user complains about), never counted as wrong.
 */
import type { TruthEntity } from '../cases/schema.ts';
import type { EntityMatch } from './types.ts';
import { analyse, isExonerated, nameRegExp, normaliseText, type Sentence } from './text.ts';

export interface EntityUniverse {
  /** names that denote some object of the trial but not a truth entity */
  others: string[];
  /** names in the question (context) */
  context: string[];
}

export interface EntityScore {
  said: EntityMatch[];
  recalled: string[];
  missed: string[];
  precision: number;
  recall: number;
  f1: number;
  /** distinct wrong names (universe members, unknown strings) */
  wrong: string[];
}

const KIND_PREFIX =
  /^(?:node|nodes|pod|pods|egressip|egressips|eip|namespace|ns|process|container|daemon|logical[ _-]?router|logical[ _-]?switch|lr|ls|lsp|port|router|switch|ptpconfig|interface|nic|service|deployment)[\s:/]+/;

function namesOf(e: TruthEntity): string[] {
  return [e.name, ...e.aliases].map((n) => normaliseText(n).trim()).filter(Boolean);
}

function mentions(hay: string, name: string): boolean {
  const re = nameRegExp(name);
  return re.test(hay);
}

/** The truth entities (by name) and the other known names that one answer string denotes. */
export function denotes(said: string, truth: readonly TruthEntity[], others: readonly string[]): { truth: string[]; others: string[] } {
  const s = normaliseText(said)
    .trim()
    .replace(/^["'`]+|["'`.,;]+$/g, '');
  const candidates = new Set<string>([s, s.replace(KIND_PREFIX, '')]);
  for (const seg of s.split('/')) if (seg) candidates.add(seg.trim());
  const t: string[] = [];
  for (const e of truth) {
    const names = namesOf(e);
    if (names.some((n) => candidates.has(n) || mentions(s, n))) t.push(e.name);
  }
  const claimed = new Set(truth.filter((e) => t.includes(e.name)).flatMap(namesOf));
  const o = others.filter((n) => {
    const nn = normaliseText(n);
    if (claimed.has(nn)) return false;
    // a wrong name that is only part of a matched truth alias (worker-1 inside GR_worker-1) is not separate
    return candidates.has(nn) || mentions(s, nn);
  });
  return { truth: t, others: o };
}

function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

function summarise(truth: readonly TruthEntity[], said: EntityMatch[], hitTruth: Set<string>, wrong: Set<string>): EntityScore {
  const required = truth.filter((e) => e.required);
  const recalled = required.filter((e) => hitTruth.has(e.name)).map((e) => e.name);
  const missed = required.filter((e) => !hitTruth.has(e.name)).map((e) => e.name);
  const correct = hitTruth.size;
  const precision = correct + wrong.size === 0 ? 0 : correct / (correct + wrong.size);
  const recall = required.length ? recalled.length / required.length : 1;
  return { said, recalled, missed, precision, recall, f1: f1(precision, recall), wrong: [...wrong] };
}

/** Entities given as a list (submit_rca): each string denotes truth entities, wrong names, or nothing known (wrong). */
export function scoreEntityList(list: readonly string[], truth: readonly TruthEntity[], universe: EntityUniverse): EntityScore {
  const others = universe.others.filter((n) => !universe.context.includes(n));
  const hit = new Set<string>();
  const wrong = new Set<string>();
  const said: EntityMatch[] = [];
  for (const raw of list) {
    if (!raw.trim()) continue;
    const d = denotes(raw, truth, others);
    d.truth.forEach((n) => hit.add(n));
    d.others.forEach((n) => wrong.add(normaliseText(n)));
    const contextOnly = !d.truth.length && !d.others.length && universe.context.some((c) => denotes(raw, [], [c]).others.length);
    if (!d.truth.length && !d.others.length && !contextOnly) wrong.add(normaliseText(raw).trim());
    said.push({ said: raw, ...(d.truth[0] ? { matches: d.truth[0] } : {}) });
  }
  return summarise(truth, said, hit, wrong);
}

/** Words that mark a sentence as blaming something (free text: only names in such sentences count as wrong). */
const BLAME =
  /\b(?:cause[sd]?|root|fault\w*|wrong|broken|fail\w*|error\w*|problem\w*|issue\w*|stale|missing|duplicat\w*|down|not running|stopped|crash\w*|notready|not ready|leftover|leak\w*|bug\w*|incorrect|culprit|responsible|misconfigur\w*|unassigned|lost|dead|exited|restart\w*)\b/;

/** Entities read out of free text: truth names anywhere (not exonerated), wrong names only where the text blames. */
export function scoreEntitiesInText(
  text: string,
  truth: readonly TruthEntity[],
  universe: EntityUniverse,
  sentences?: Sentence[],
): EntityScore {
  const ss = sentences ?? analyse(text);
  const others = universe.others.filter((n) => !universe.context.map(normaliseText).includes(normaliseText(n)));
  const hit = new Set<string>();
  const wrong = new Set<string>();
  const said: EntityMatch[] = [];
  const truthNames = truth.map((e) => ({ e, names: namesOf(e) }));
  for (const s of ss) {
    const occurrences = (name: string): number[] => {
      const out: number[] = [];
      for (const m of s.text.matchAll(nameRegExp(name))) {
        const idx = s.tokens.findIndex((t) => t.start <= m.index && t.end > m.index);
        if (idx >= 0) out.push(idx);
      }
      return out;
    };
    const claimedSpans: [number, number][] = [];
    for (const { e, names } of truthNames)
      for (const n of names)
        for (const m of s.text.matchAll(nameRegExp(n))) {
          const idx = s.tokens.findIndex((t) => t.start <= m.index && t.end > m.index);
          if (idx < 0) continue;
          claimedSpans.push([m.index, m.index + m[0].length]);
          if (isExonerated(s, idx)) continue;
          if (!hit.has(e.name)) said.push({ said: n, matches: e.name });
          hit.add(e.name);
        }
    for (const o of others) {
      const nn = normaliseText(o);
      for (const idx of occurrences(nn)) {
        const tok = s.tokens[idx]!;
        if (claimedSpans.some(([a, b]) => tok.start >= a && tok.end <= b)) continue;
        if (!BLAME.test(s.text) || isExonerated(s, idx)) continue;
        if (!wrong.has(nn)) said.push({ said: o });
        wrong.add(nn);
      }
    }
  }
  return summarise(truth, said, hit, wrong);
}
