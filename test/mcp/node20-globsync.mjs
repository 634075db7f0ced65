// @modelcontextprotocol/conformance imports { globSync } from 'fs' (Node >= 22). On Node 20 this
// preload registers a load hook that drops that named import from the conformance bundle and
// defines a minimal globSync (only the '**/<name>' form the tool uses, for result summaries).
import { register } from 'node:module';

const hooks = `
export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (url.includes('@modelcontextprotocol/conformance/dist/') && r.source) {
    let src = String(r.source);
    const m = /globSync as (\\w+),/.exec(src);
    if (m) {
      src = src.replace(m[0], '');
      src += '\\nfunction ' + m[1] + '(p, o = {}) { return globalThis.__nhGlobSync(p, o); }\\n';
      return { ...r, source: src };
    }
  }
  return r;
}`;
register('data:text/javascript,' + encodeURIComponent(hooks));

const { readdirSync } = await import('node:fs');
const { join } = await import('node:path');
globalThis.__nhGlobSync = (pattern, opts = {}) => {
  const cwd = opts.cwd ?? process.cwd();
  const name = String(pattern).replace(/^\*\*\//, '');
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(cwd, rel), { withFileTypes: true })) {
      const r = rel ? join(rel, e.name) : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name === name) out.push(r);
    }
  };
  walk('');
  return out;
};
