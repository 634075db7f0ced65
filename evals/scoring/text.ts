/**
 * Deterministic text matching for the scorer: sentences, clauses, tokens, scoring patterns and negation.
 *
 * A pattern (the case format's checklist wordings, the taxonomy's cues) is either `re:<regex>` (matched
 * case-insensitively against one sentence) or space-separated words that must all occur in one sentence,
 * in any order. A word is `a|b|c` (alternatives) and an alternative ending in `*` is a prefix. An
 * alternative without a separator also matches one part of a compound token (`northd` matches
 * `ovn-northd`, `snat*` matches `GR_node-1` no, `snats` yes).
 *
 * Negation (so "it is not a stale SNAT" does not credit "stale SNAT"): a negation word in the same clause
 * at most NEGATION_WINDOW tokens before the first matched word (or anywhere before it when it is followed
 * by a verb of finding: "did not find any evidence of ..."), or an exoneration after the match in its
 * clause ("... is not the cause", "... is fine", "ruled out"). Words the pattern itself matched never count
 * as negation ("snat not removed" is a fact with its own "not").
 */

export const NEGATION_WINDOW = 3;

const NEGATORS = new Set(['not', 'no', 'never', 'none', 'nor', 'neither', 'without', 'cannot', 'nothing', 'unlikely', 'excluded']);
const FINDING_VERBS = /^(see|saw|seen|find|found|observe|observed|detect|detected|show|shows|showed|indicat\w*|evidence|sign|signs|any)$/;
/** exonerations after a match, within its clause */
const EXONERATIONS: RegExp[] = [
  /\bnot (?:the|a|an)? ?(?:root )?(?:cause|culprit|problem|issue|reason|responsible|involved|related|relevant)\b/,
  /\b(?:is|are|was|were|looks?|seems?|appears?) (?:fine|healthy|ok|okay|normal|correct|consistent|unaffected|good|clean|as expected)\b/,
  /\b(?:ruled|rule) out\b/,
  /\bunrelated\b/,
  /\bworks? (?:fine|correctly|normally|as expected)\b/,
  /\bnot at fault\b/,
  /\b(?:is|are) not (?:affected|broken|the source)\b/,
  // a counterfactual about a check: "a stale SNAT would show in the check"
  /^\W*(?:\w+\W+){0,3}?would (?:show|appear|be (?:visible|reported|flagged))\b/,
];
/** phrases that negate (or make hypothetical) the rest of their clause */
const SCOPE_NEGATORS = /\b(?:rule[sd]? out|ruling out|rather than|instead of|as opposed to|excluding|except|if|whether|unless)\b/;

export interface Token {
  text: string;
  parts: string[];
  /** index of the clause within the sentence */
  clause: number;
  /** character offsets in the sentence */
  start: number;
  end: number;
}

export interface Sentence {
  text: string;
  tokens: Token[];
  clauses: string[];
}

export function normaliseText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\u2018\u2019\u201b`]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2010-\u2015]/g, '-');
}

/** Split into sentences: newlines, ';', and '.', '!', '?' followed by a space or the end (IPs like 10.0.0.5 stay whole). */
export function splitSentences(text: string): string[] {
  // list items are sentences of their own; a single newline inside a paragraph is wrapping, not a sentence end
  const joined = normaliseText(text)
    .replace(/\r/g, '')
    .replace(/^[ \t]*(?:[-*\u2022]|\d+[.)])[ \t]+/gm, '\n')
    .replace(/\n(?!\s*\n)/g, (m, off: number, all: string) => (all[off - 1] === '\n' ? m : ' '));
  return joined
    .split(/\n+|;|(?<=[.!?])\s+|(?<=[.!?])$/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

const TOKEN_RE = /[a-z0-9_'][a-z0-9_.:/'-]*/g;
const CLAUSE_BREAK = /,|:\s|\(|\)|\s(?:but|however|although|though|whereas|yet|while)\s/g;

export function tokenize(sentence: string): Sentence {
  const breaks: number[] = [];
  for (const m of sentence.matchAll(CLAUSE_BREAK)) breaks.push(m.index);
  const tokens: Token[] = [];
  for (const m of sentence.matchAll(TOKEN_RE)) {
    const raw = m[0].replace(/[.:/'-]+$/, '');
    if (!raw) continue;
    const start = m.index;
    const clause = breaks.filter((b) => b < start).length;
    tokens.push({ text: raw, parts: raw.split(/[-_/.:']+/).filter(Boolean), clause, start, end: start + raw.length });
  }
  const clauses: string[] = [];
  let prev = 0;
  for (const b of [...breaks, sentence.length]) {
    clauses.push(sentence.slice(prev, b));
    prev = b;
  }
  return { text: sentence, tokens, clauses };
}

/** Sentences of a text, tokenised (cache per text in callers when matching many patterns). */
export function analyse(text: string): Sentence[] {
  return splitSentences(text).map(tokenize);
}

function isNegator(t: string): boolean {
  return NEGATORS.has(t) || /n't$/.test(t) || t === 'cant' || t === 'isnt' || t === 'doesnt' || t === 'didnt';
}

interface CompiledWord {
  alts: { text: string; prefix: boolean; compound: boolean }[];
}
export type CompiledPattern = { kind: 're'; re: RegExp; source: string } | { kind: 'words'; words: CompiledWord[]; source: string };

const compiledCache = new Map<string, CompiledPattern>();

export function compilePattern(p: string): CompiledPattern {
  const hit = compiledCache.get(p);
  if (hit) return hit;
  let c: CompiledPattern;
  if (p.startsWith('re:')) c = { kind: 're', re: new RegExp(p.slice(3), 'i'), source: p };
  else
    c = {
      kind: 'words',
      source: p,
      words: normaliseText(p)
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => ({
          alts: w
            .split('|')
            .filter(Boolean)
            .map((a) => {
              const prefix = a.endsWith('*');
              const text = prefix ? a.slice(0, -1) : a;
              return { text, prefix, compound: /[-_/.:']/.test(text) };
            }),
        })),
    };
  compiledCache.set(p, c);
  return c;
}

function altMatches(alt: CompiledWord['alts'][number], tok: Token): boolean {
  const eq = (x: string): boolean => (alt.prefix ? x.startsWith(alt.text) : x === alt.text);
  if (eq(tok.text)) return true;
  // a compound name also matches a longer name it starts (ovnkube-node -> ovnkube-node-x7k2p, one of its pods)
  if (alt.compound)
    return !alt.prefix && tok.text.length > alt.text.length && tok.text.startsWith(alt.text) && /[-_/.:]/.test(tok.text[alt.text.length]!);
  return tok.parts.length > 1 && tok.parts.some(eq);
}

export interface PatternMatch {
  sentence: string;
  /** indices of the matched tokens (words patterns) */
  tokens: number[];
  negated: boolean;
}

/** Is the match at these token indices negated in its sentence? */
export function isNegated(s: Sentence, matched: number[]): boolean {
  if (!matched.length) return false;
  const own = new Set(matched);
  const first = Math.min(...matched);
  const last = Math.max(...matched);
  const clause = s.tokens[first]!.clause;
  // before the match, same clause
  for (let i = first - 1; i >= 0 && s.tokens[i]!.clause === clause; i--) {
    if (own.has(i) || !isNegator(s.tokens[i]!.text)) continue;
    // "without X" negates the word right after it only ("without northd the SB is stale")
    if (first - i <= (s.tokens[i]!.text === 'without' ? 1 : NEGATION_WINDOW)) return true;
    const next = s.tokens[i + 1]?.text ?? '';
    const next2 = s.tokens[i + 2]?.text ?? '';
    if (FINDING_VERBS.test(next) || FINDING_VERBS.test(next2)) return true;
  }
  // between matched words
  for (let i = first + 1; i < last; i++) if (!own.has(i) && isNegator(s.tokens[i]!.text)) return true;
  // "ruled out X and Y", "rather than X", "if X": the rest of the clause after the phrase
  const clauseText = s.text.slice(clauseStartOf(s, clause), s.tokens[first]!.start);
  if (SCOPE_NEGATORS.test(clauseText)) return true;
  // after the match, same clause
  const after = s.clauses[s.tokens[last]!.clause]?.slice(0) ?? '';
  const offsetInClause = s.tokens[last]!.end - clauseStartOf(s, s.tokens[last]!.clause);
  const tail = after.slice(offsetInClause);
  return EXONERATIONS.some((re) => re.test(tail));
}

function clauseStartOf(s: Sentence, clause: number): number {
  return s.clauses.slice(0, clause).reduce((n, c) => n + c.length, 0);
}

/**
 * Where the words of a pattern occur in one sentence: all in one clause in any order ("SNAT duplicated",
 * "duplicate SNAT"), or in the pattern's order across clauses ("ovn-northd, the daemon that ..., is down").
 * Of several readings, a non-negated one wins.
 */
function matchWords(s: Sentence, words: CompiledWord[]): PatternMatch | undefined {
  // fast reject: every way a word matches implies its text occurs in the sentence
  if (!words.every((w) => w.alts.some((a) => s.text.includes(a.text)))) return undefined;
  const occ = words.map((w) => s.tokens.map((t, i) => (w.alts.some((a) => altMatches(a, t)) ? i : -1)).filter((i) => i >= 0));
  if (occ.some((o) => !o.length)) return undefined;
  const readings: number[][] = [];
  // one clause, any order: per clause, the first occurrence of each word (distinct tokens)
  const clauses = new Set(s.tokens.map((t) => t.clause));
  for (const cl of clauses) {
    const sel: number[] = [];
    for (const o of occ) {
      const i = o.find((x) => s.tokens[x]!.clause === cl && !sel.includes(x));
      if (i === undefined) break;
      sel.push(i);
    }
    if (sel.length === words.length) readings.push(sel);
  }
  // in order across the sentence: greedy, each word after the previous one
  for (const start of occ[0]!) {
    const sel = [start];
    for (const o of occ.slice(1)) {
      const i = o.find((x) => x > sel[sel.length - 1]!);
      if (i === undefined) break;
      sel.push(i);
    }
    if (sel.length === words.length) readings.push(sel);
  }
  if (!readings.length) return undefined;
  const scored = readings.map((r) => ({ sentence: s.text, tokens: r, negated: isNegated(s, r) }));
  return scored.find((r) => !r.negated) ?? scored[0];
}

/**
 * Is a name at token `idx` exonerated ("not worker-1", "worker-1 is fine", "ruled out worker-1")? Stricter
 * than isNegated: "northd is not running on worker-2" blames worker-2, so a negation word counts only
 * right before the name.
 */
export function isExonerated(s: Sentence, idx: number): boolean {
  const prev = s.tokens[idx - 1];
  if (prev && prev.clause === s.tokens[idx]!.clause && isNegator(prev.text)) return true;
  const t = s.tokens[idx]!;
  const clauseText = s.text.slice(clauseStartOf(s, t.clause), t.start);
  if (SCOPE_NEGATORS.test(clauseText)) return true;
  const tail = (s.clauses[t.clause] ?? '').slice(t.end - clauseStartOf(s, t.clause));
  return EXONERATIONS.some((re) => re.test(tail));
}

/** Every place a pattern matches in the analysed text (negated ones flagged). */
export function findPattern(sentences: Sentence[], pattern: string): PatternMatch[] {
  const c = compilePattern(pattern);
  const out: PatternMatch[] = [];
  for (const s of sentences) {
    if (c.kind === 're') {
      const m = c.re.exec(s.text);
      if (!m) continue;
      const start = m.index;
      const end = start + m[0].length;
      const toks = s.tokens.map((t, i) => (t.start < end && t.end > start ? i : -1)).filter((i) => i >= 0);
      out.push({ sentence: s.text, tokens: toks, negated: isNegated(s, toks) });
      continue;
    }
    const m = matchWords(s, c.words);
    if (m) out.push(m);
  }
  return out;
}

/** The first non-negated match of any of the patterns, or undefined. */
export function firstAffirmed(sentences: Sentence[], patterns: readonly string[]): PatternMatch | undefined {
  for (const p of patterns) {
    const m = findPattern(sentences, p).find((x) => !x.negated);
    if (m) return m;
  }
  return undefined;
}

/** Escape for a RegExp. */
export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A name as a whole word in normalised text: not inside a longer name (`worker-2` not in `worker-22`; a trailing '.' ends it). */
export function nameRegExp(name: string): RegExp {
  return new RegExp(`(?<![a-z0-9_.-])${escapeRe(normaliseText(name))}(?![a-z0-9_-]|\\.[a-z0-9])`, 'g');
}
