/**
 * The one label / field selector module: metav1.LabelSelector objects (matchLabels + matchExpressions
 * In/NotIn/Exists/DoesNotExist, as k8s.io/apimachinery's LabelSelectorAsSelector defines them), label
 * selector strings (k8s.io/apimachinery/pkg/labels) and field selector strings (pkg/fields). Pure: shared by
 * the harness checks, the MCP server, Chaos Mesh selection (chaos/selector.ts) and the embedded cluster's API
 * server and controllers (sim/ may import pure harness modules; their files adapt the errors).
 */

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement<Op extends string = string> {
  key: string;
  operator: Op;
  values?: string[];
}

export interface LabelSelector<Op extends string = string> {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement<Op>[];
}

/**
 * True when `labels` satisfy `sel`. An empty selector ({}) matches everything, and so does a
 * missing one (undefined): callers for which "no selector" means "nothing" check that first.
 * An unknown operator matches nothing (the apiserver would reject such a selector).
 */
export function matchLabelSelector(sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  const reqs: LabelRequirement[] = [];
  for (const [key, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: '=', values: [v] });
  for (const e of sel.matchExpressions ?? []) {
    const op = Object.hasOwn(OBJECT_OPERATORS, e.operator) ? OBJECT_OPERATORS[e.operator] : undefined;
    if (!op) return false;
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return matchLabelRequirements(reqs, labels);
}

/** metav1.LabelSelectorOperator -> the string form's operator (one matcher for both forms). */
const OBJECT_OPERATORS: Record<string, LabelRequirement['op'] | undefined> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/** True when the selector has neither matchLabels nor matchExpressions (it selects everything). */
export function labelSelectorIsEmpty(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

// ---------------------------------------------------------------- the string forms

/**
 * A bad selector string. Neutral (no HTTP status): the embedded API server turns it into a 400 BadRequest
 * (sim/api/selectors.ts), the controllers into their own error. Messages follow k8s.io/apimachinery.
 */
export class SelectorSyntaxError extends Error {
  override name = 'SelectorSyntaxError';
}

/** One requirement of a label selector string; '!' is "does not exist", gt/lt compare integers. */
export interface LabelRequirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';
  values: string[];
}

// k8s.io/apimachinery/pkg/util/validation: qualified name (optional DNS-1123 subdomain prefix) and label value
const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(k: string, sel: string): void {
  if (k.length > 317 || !KEY_RE.test(k)) throw new SelectorSyntaxError(`invalid label key "${k}" in label selector "${sel}"`);
}

function checkValue(v: string, sel: string): void {
  if (v.length > 63 || !VALUE_RE.test(v))
    throw new SelectorSyntaxError(
      `invalid label value: "${v}" in label selector "${sel}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
    );
}

/**
 * `app=x,tier in (a,b),!legacy,env!=prod,k,replicas>2` as k8s.io/apimachinery/pkg/labels parses it:
 * =, ==, !=, in, notin, exists (key), !key, > and < (integers). Throws SelectorSyntaxError.
 */
export function parseLabelSelector(sel: string | undefined): LabelRequirement[] {
  if (!sel || !sel.trim()) return [];
  const reqs: LabelRequirement[] = [];
  for (const raw of splitTop(sel)) {
    const part = raw.trim();
    if (!part) throw new SelectorSyntaxError(`unable to parse requirement: found '', expected: identifier in label selector "${sel}"`);
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      checkKey(m[1], sel);
      values.forEach((v) => checkValue(v, sel));
      reqs.push({ key: m[1], op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^!\s*([^\s!=<>(),]+)$/.exec(part))) {
      checkKey(m[1], sel);
      reqs.push({ key: m[1], op: '!', values: [] });
    } else if ((m = /^([^\s!=<>(),]+)\s*(==|=|!=|>|<)\s*([^\s!=<>(),]*)$/.exec(part))) {
      checkKey(m[1], sel);
      checkValue(m[3], sel);
      const op = m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : '=';
      if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(m[3]))
        throw new SelectorSyntaxError(`invalid label selector "${sel}": for '${m[2]}' the value must be an integer, got "${m[3]}"`);
      reqs.push({ key: m[1], op, values: [m[3]] });
    } else if ((m = /^([^\s!=<>(),]+)$/.exec(part))) {
      checkKey(m[1], sel);
      reqs.push({ key: m[1], op: 'exists', values: [] });
    } else {
      throw new SelectorSyntaxError(`unable to parse requirement: "${part}" in label selector "${sel}"`);
    }
  }
  return reqs;
}

/** True when `labels` satisfy every requirement (an empty list matches everything). */
export function matchLabelRequirements(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        if (!has || v !== r.values[0]) return false;
        break;
      case '!=':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has) return false;
        const a = Number(v);
        const b = Number(r.values[0]);
        if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
        if (r.op === 'gt' ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

/** One requirement of a field selector string (`metadata.name=x`, `spec.nodeName!=y`). */
export interface FieldRequirement {
  /** dotted field label: 'spec.nodeName' */
  path: string;
  op: '=' | '!=';
  value: string;
}

/** `metadata.name=x,spec.nodeName!=y` as k8s.io/apimachinery/pkg/fields parses it (=, ==, !=). Throws SelectorSyntaxError. */
export function parseFieldSelector(sel: string | undefined): FieldRequirement[] {
  if (!sel || !sel.trim()) return [];
  return sel.split(',').map((raw) => {
    const part = raw.trim();
    const m = /^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorSyntaxError(`invalid selector: '${sel}'; can't understand '${part}'`);
    return { path: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3].trim() };
  });
}

/** A field's value as the apiserver's field label conversion renders it (missing -> '', objects as JSON). */
/**
 * Boolean field labels: kube-apiserver renders them with strconv.FormatBool of the Go field, so an unset one
 * reads "false" (kubernetes/kubernetes pkg/registry/core/pod/strategy.go ToSelectableFields "spec.hostNetwork",
 * pkg/registry/core/node/strategy.go "spec.unschedulable").
 */
const BOOL_FIELDS = new Set(['spec.hostNetwork', 'spec.unschedulable']);

export function fieldValue(obj: unknown, path: string): string {
  const unset = BOOL_FIELDS.has(path) ? 'false' : '';
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return unset;
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return unset;
  if (typeof cur === 'object') return JSON.stringify(cur);
  return String(cur);
}

export function matchFieldRequirements(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.path);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** One predicate for a label and a field selector string; undefined when nothing filters (the fast path). */
export function compileSelectors<O extends { metadata?: { labels?: Record<string, string> } }>(
  labelSelector?: string,
  fieldSelector?: string,
): ((o: O) => boolean) | undefined {
  const l = parseLabelSelector(labelSelector);
  const f = parseFieldSelector(fieldSelector);
  if (!l.length && !f.length) return undefined;
  return (o) => matchLabelRequirements(l, o.metadata?.labels) && matchFieldRequirements(f, o);
}
