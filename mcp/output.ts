/**
 * Output budgets: every tool result fits in a byte budget (context windows are small). Filtering
 * (grep, offset/limit) happens here, on the captured output, never in a shell. When a result is cut,
 * the notice says exactly how to narrow or page.
 */
export const DEFAULT_BUDGET_BYTES = 8192;
/** Longest single line kept; longer lines are cut with a marker. */
export const MAX_LINE_CHARS = 1000;

export interface OutputControls {
  grep?: string;
  grep_invert?: boolean;
  offset?: number;
  limit?: number;
  format?: 'text' | 'json';
}

export interface Page {
  /** The text to return, notice included. */
  text: string;
  /** 1-based first and last item shown (0/0 when nothing). */
  first: number;
  last: number;
  /** Items after grep (what offset/limit page through). */
  matched: number;
  /** Items before grep. */
  total: number;
  truncated: boolean;
}

export interface PageOptions extends OutputControls {
  budgetBytes: number;
  /** What one item is called in the notice: 'lines', 'records', 'objects'. */
  unit?: string;
  /** Extra narrowing hints for this tool, e.g. "columns=..." or "table=...". */
  hints?: string[];
  /** With no explicit offset, show the END of the output (logs, events). */
  preferEnd?: boolean;
}

function cutLine(s: string): string {
  return s.length > MAX_LINE_CHARS ? `${s.slice(0, MAX_LINE_CHARS)}… [line cut at ${MAX_LINE_CHARS} of ${s.length} chars]` : s;
}

export function grepFilter<T>(items: T[], render: (t: T) => string, grep?: string, invert = false): T[] {
  if (grep === undefined || grep === '') return items;
  const re = new RegExp(grep, 'i');
  return items.filter((t) => re.test(render(t)) !== invert);
}

/**
 * Page a list of rendered items (lines or multi-line records) into the budget.
 * `sep` joins items ('\n' for lines, '\n\n' for records).
 */
export function pageItems(items: string[], opts: PageOptions, sep = '\n'): Page {
  const unit = opts.unit ?? 'lines';
  const matched = grepFilter(items, (s) => s, opts.grep, opts.grep_invert);
  let offset = Math.min(opts.offset ?? 0, matched.length);
  if (opts.preferEnd && opts.offset === undefined) offset = endOffset(matched, opts, sep);
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const reserve = 400; // room for the notice
  const room = Math.max(256, opts.budgetBytes - reserve);
  const out: string[] = [];
  let used = 0;
  let i = offset;
  for (; i < matched.length && out.length < limit; i++) {
    const piece = unit === 'lines' ? cutLine(matched[i]) : matched[i].split('\n').map(cutLine).join('\n');
    const cost = Buffer.byteLength(piece) + sep.length;
    if (used + cost > room) {
      if (out.length === 0) {
        // A single item larger than the budget: show its head.
        out.push(`${Buffer.from(piece).subarray(0, room).toString('utf8')}… [item cut at ${room} bytes]`);
        i++;
      }
      break;
    }
    out.push(piece);
    used += cost;
  }
  const shownEnd = i;
  const truncated = shownEnd < matched.length || offset > 0;
  const filtered = opts.grep ? ` (${matched.length} of ${items.length} match grep)` : '';
  let text = out.join(sep);
  if (matched.length === 0) {
    text = opts.grep
      ? `no ${unit} match grep=${JSON.stringify(opts.grep)} (of ${items.length} ${unit}); loosen or drop grep`
      : `(no ${unit})`;
  } else if (shownEnd < matched.length) {
    const hints = [opts.grep ? undefined : 'grep=<regex>', `offset=${shownEnd}`, ...(opts.hints ?? [])].filter(Boolean).join(', ');
    text += `${sep === '\n' ? '\n' : sep}[showing ${unit} ${offset + 1}-${shownEnd} of ${matched.length}${filtered}; output budget ${opts.budgetBytes} bytes; pass ${hints} to narrow or page]`;
  } else if (offset > 0 && opts.preferEnd && opts.offset === undefined) {
    const back = Math.max(0, offset - out.length);
    text = `[earlier ${unit} 1-${offset} of ${matched.length}${filtered} not shown (output budget ${opts.budgetBytes} bytes); pass offset=${back}${opts.grep ? '' : ', grep=<regex>'}${opts.hints?.length ? `, ${opts.hints.join(', ')}` : ''} to see them]\n${text}`;
  } else if (offset > 0 || opts.grep) {
    text += `\n[showing ${unit} ${offset + 1}-${shownEnd} of ${matched.length}${filtered}]`;
  }
  return { text, first: out.length ? offset + 1 : 0, last: shownEnd, matched: matched.length, total: items.length, truncated };
}

/** The offset from which the last items fit the budget (and the limit). */
function endOffset(items: string[], opts: PageOptions, sep: string): number {
  const room = Math.max(256, opts.budgetBytes - 400);
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  let used = 0;
  let i = items.length;
  while (i > 0 && items.length - i < limit) {
    const cost = Buffer.byteLength(cutLine(items[i - 1])) + sep.length;
    if (used + cost > room) break;
    used += cost;
    i--;
  }
  return i === items.length && items.length > 0 ? items.length - 1 : i;
}

/** Page plain command output line by line. */
export function pageText(stdout: string, opts: PageOptions): Page {
  const lines = stdout.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return pageItems([], opts);
  return pageItems(lines, opts, '\n');
}

/** Tokens, the way the benchmark counts them (chars / 4). */
export function approxTokens(s: string): number {
  return Math.ceil(s.length / 4);
}
