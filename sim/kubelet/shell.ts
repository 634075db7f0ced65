/**
 * A small POSIX-sh subset parser for the built-in command set of emulated containers:
 * words with quotes and escapes, $VAR / ${VAR} / $?, `;` `&&` `||` `|` `&` and newlines,
 * redirections `>` `>>` `<` `2>&1` `N>file`. Anything beyond (if/while/for/case, $(...),
 * backticks, functions, subshells, heredocs) returns undefined: the caller then treats the
 * script as not interpretable.
 */

export interface Redirect {
  fd: number;
  op: '>' | '>>' | '<' | '>&';
  target: string;
}

export interface SimpleCommand {
  argv: string[];
  redirects: Redirect[];
}

export interface Pipeline {
  commands: SimpleCommand[];
  background?: boolean;
}

/** Pipelines joined by the operator that follows each one. */
export interface ListItem {
  pipeline: Pipeline;
  next?: ';' | '&&' | '||';
}

/** Stands for $? in parsed words; the runner substitutes the last exit status. */
export const STATUS_MARK = '\u0000?\u0000';

const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'while',
  'until',
  'for',
  'do',
  'done',
  'case',
  'esac',
  'function',
  '{',
  '}',
  '!',
  '[[',
  'select',
]);

type Tok = { t: 'word'; v: string; quoted: boolean } | { t: 'op'; v: string };

function tokenize(src: string, env: Record<string, string>): Tok[] | undefined {
  const toks: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      if (src[i + 1] === ';') return undefined; // case ;;
      toks.push({ t: 'op', v: ';' });
      i++;
      continue;
    }
    if (c === '&' && src[i + 1] === '&') {
      toks.push({ t: 'op', v: '&&' });
      i += 2;
      continue;
    }
    if (c === '|' && src[i + 1] === '|') {
      toks.push({ t: 'op', v: '||' });
      i += 2;
      continue;
    }
    if (c === '|') {
      toks.push({ t: 'op', v: '|' });
      i++;
      continue;
    }
    if (c === '&' && src[i + 1] !== '>') {
      toks.push({ t: 'op', v: '&' });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '`') return undefined;
    // redirections: [N]> [N]>> < >&N
    const rm = /^(\d?)(>>|>&|>|<<|<)/.exec(src.slice(i));
    if (rm) {
      if (rm[2] === '<<') return undefined;
      toks.push({ t: 'op', v: `${rm[1]}${rm[2]}` });
      i += rm[0].length;
      continue;
    }
    // a word
    let w = '';
    let quoted = false;
    while (i < n) {
      const ch = src[i];
      if (' \t\n;&|<>()'.includes(ch)) break;
      if (ch === '`') return undefined;
      if (ch === "'") {
        quoted = true;
        const j = src.indexOf("'", i + 1);
        if (j < 0) return undefined;
        w += src.slice(i + 1, j);
        i = j + 1;
        continue;
      }
      if (ch === '"') {
        quoted = true;
        i++;
        while (i < n && src[i] !== '"') {
          if (src[i] === '\\' && i + 1 < n && '"\\$`\n'.includes(src[i + 1])) {
            w += src[i + 1];
            i += 2;
            continue;
          }
          if (src[i] === '`') return undefined;
          if (src[i] === '$') {
            const r = expandVar(src, i, env);
            if (!r) return undefined;
            w += r.value;
            i = r.end;
            continue;
          }
          w += src[i++];
        }
        if (i >= n) return undefined;
        i++;
        continue;
      }
      if (ch === '\\') {
        if (i + 1 < n) w += src[i + 1];
        i += 2;
        continue;
      }
      if (ch === '$') {
        const r = expandVar(src, i, env);
        if (!r) return undefined;
        w += r.value;
        i = r.end;
        continue;
      }
      w += ch;
      i++;
    }
    toks.push({ t: 'word', v: w, quoted });
  }
  return toks;
}

function expandVar(src: string, i: number, env: Record<string, string>): { value: string; end: number } | undefined {
  const rest = src.slice(i + 1);
  if (rest.startsWith('(')) return undefined;
  let m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest);
  if (m) return { value: env[m[1]] ?? '', end: i + 1 + m[0].length };
  if (rest.startsWith('{')) return undefined;
  m = /^([A-Za-z_][A-Za-z0-9_]*|\?|\$|#|[0-9])/.exec(rest);
  if (m) return { value: m[1] === '?' ? STATUS_MARK : (env[m[1]] ?? ''), end: i + 1 + m[0].length };
  return { value: '$', end: i + 1 };
}

/** Parses a script; undefined when it uses syntax outside the subset. `env` expands variables ($? is resolved at parse time: callers re-parse per command when it matters). */
export function parseScript(src: string, env: Record<string, string> = {}): ListItem[] | undefined {
  const toks = tokenize(src, env);
  if (!toks) return undefined;
  const items: ListItem[] = [];
  let cmd: SimpleCommand = { argv: [], redirects: [] };
  let pipe: Pipeline = { commands: [] };
  const endCommand = (): boolean => {
    if (cmd.argv.length === 0 && cmd.redirects.length === 0) return false;
    pipe.commands.push(cmd);
    cmd = { argv: [], redirects: [] };
    return true;
  };
  const endPipeline = (next?: ListItem['next'], background = false): void => {
    endCommand();
    if (pipe.commands.length) {
      if (background) pipe.background = true;
      items.push({ pipeline: pipe, next });
    }
    pipe = { commands: [] };
  };
  for (let k = 0; k < toks.length; k++) {
    const tk = toks[k];
    if (tk.t === 'word') {
      if (cmd.argv.length === 0 && !tk.quoted && KEYWORDS.has(tk.v)) return undefined;
      if (cmd.argv.length === 0 && !tk.quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tk.v)) {
        // VAR=value prefix assignment: keep as a word the runner understands
        cmd.argv.push(tk.v);
        continue;
      }
      cmd.argv.push(tk.v);
      continue;
    }
    switch (tk.v) {
      case ';':
        endPipeline(';');
        break;
      case '&':
        endPipeline(';', true);
        break;
      case '&&':
      case '||':
        if (cmd.argv.length === 0 && pipe.commands.length === 0) return undefined;
        endPipeline(tk.v);
        break;
      case '|':
        if (!endCommand()) return undefined;
        break;
      default: {
        const m = /^(\d?)(>>|>&|>|<)$/.exec(tk.v);
        if (!m) return undefined;
        const target = toks[k + 1];
        if (!target || target.t !== 'word') return undefined;
        k++;
        const op = m[2] as Redirect['op'];
        cmd.redirects.push({ fd: m[1] ? Number(m[1]) : op === '<' ? 0 : 1, op, target: target.v });
      }
    }
  }
  endPipeline();
  if (items.length && items[items.length - 1].next && items[items.length - 1].next !== ';') return undefined;
  return items;
}

/** Splits `a b 'c d'` into words (no operators allowed). */
export function splitWords(src: string): string[] | undefined {
  const items = parseScript(src);
  if (!items || items.length !== 1 || items[0].pipeline.commands.length !== 1) return undefined;
  const c = items[0].pipeline.commands[0];
  return c.redirects.length ? undefined : c.argv;
}
