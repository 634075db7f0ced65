/**
 * The JSONPath subset CRD additionalPrinterColumns use: `.a.b`, `['a.b']`, `[n]`, `[*]` and
 * `[?(@.k=="v")]` filters. Returns every match (so `[*]` columns render as a comma list).
 */
type Seg =
  | { kind: 'field'; name: string }
  | { kind: 'index'; i: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: string };

export function parseJsonPath(expr: string): Seg[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.startsWith('$')) s = s.slice(1);
  const segs: Seg[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      const m = /^[A-Za-z0-9_\-$]+/.exec(s.slice(i));
      if (!m) {
        if (s[i] === '[' || i >= s.length) continue;
        throw new Error(`invalid jsonpath ${expr}`);
      }
      segs.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw new Error(`invalid jsonpath ${expr}`);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      let m: RegExpExecArray | null;
      if (inner === '*') segs.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) segs.push({ kind: 'index', i: Number(inner) });
      else if ((m = /^'(.*)'$|^"(.*)"$/.exec(inner))) segs.push({ kind: 'field', name: m[1] ?? m[2] });
      else if ((m = /^\?\(@\.([A-Za-z0-9_.-]+)\s*(==|!=)\s*["']?([^"')]*)["']?\)$/.exec(inner)))
        segs.push({ kind: 'filter', path: m[1].split('.'), op: m[2] as '==' | '!=', value: m[3] });
      else throw new Error(`unsupported jsonpath segment [${inner}] in ${expr}`);
    } else {
      const m = /^[A-Za-z0-9_\-$]+/.exec(s.slice(i));
      if (!m) throw new Error(`invalid jsonpath ${expr}`);
      segs.push({ kind: 'field', name: m[0] });
      i += m[0].length;
    }
  }
  return segs;
}

export function evalJsonPath(obj: unknown, expr: string | Seg[]): unknown[] {
  const segs = typeof expr === 'string' ? parseJsonPath(expr) : expr;
  let cur: unknown[] = [obj];
  for (const seg of segs) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || v === undefined) continue;
      if (seg.kind === 'field') {
        if (typeof v === 'object' && !Array.isArray(v) && seg.name in (v as object)) next.push((v as Record<string, unknown>)[seg.name]);
      } else if (seg.kind === 'index') {
        if (Array.isArray(v)) {
          const x = v[seg.i < 0 ? v.length + seg.i : seg.i];
          if (x !== undefined) next.push(x);
        }
      } else if (seg.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === 'object') next.push(...Object.values(v as object));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          let x: unknown = item;
          for (const p of seg.path) x = x && typeof x === 'object' ? (x as Record<string, unknown>)[p] : undefined;
          const eq = x !== undefined && String(x) === seg.value;
          if (seg.op === '==' ? eq : !eq) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}
