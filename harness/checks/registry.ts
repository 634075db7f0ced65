/**
 * The one list of checks. `check <name>`, `check list`, the waits and the MCP analysis tools read it.
 * Adding a check: its folder plus one line here. Tests add fakes with `registerCheck` (and remove them
 * with the returned function), so a fake shows up everywhere without touching another file.
 */
import { egressipCheck } from './egressip/index.ts';
import { ptpCheck } from './ptp/index.ts';
import type { Check } from './types.ts';

// Checks differ in params/observation types; the registry holds them erased (each keeps its own types inside).
type AnyCheck = Check<never, never, string>;

const checks = new Map<string, AnyCheck>();

/** Add a check; throws on a duplicate name. Returns a function that removes it again (for tests). */
export function registerCheck<C extends Check<never, never, string>>(c: C): () => void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(c.name)) throw new Error(`check name '${c.name}' must be lowercase kebab-case`);
  if (checks.has(c.name)) throw new Error(`check '${c.name}' is registered twice`);
  checks.set(c.name, c);
  return () => {
    checks.delete(c.name);
  };
}

export function listChecks(): AnyCheck[] {
  return [...checks.values()];
}

export function getCheck(name: string): AnyCheck | undefined {
  return checks.get(name);
}

registerCheck(egressipCheck as unknown as AnyCheck);
registerCheck(ptpCheck as unknown as AnyCheck);
