/**
 * The one list of checks. `check <name>`, `check list`, the waits, the MCP analysis tools and the README's list
 * read it. Adding a check: its folder plus one line in BUILT_IN. Tests add fakes with `registerCheck` (and remove
 * them with the returned function), so a fake shows up everywhere without touching another file.
 */
import { egressipCheck } from './egressip/index.ts';
import { ptpCheck } from './ptp/index.ts';
import type { ScenarioFindingKind } from './scenario-findings.ts';
import type { Check } from './types.ts';

/** The built-in checks by name (the key must be the check's `name`; checked below). */
const BUILT_IN = { egressip: egressipCheck, ptp: ptpCheck } as const;

/**
 * The finding vocabulary of each built-in check, as types, plus the scenarios' own expectations
 * (scenario-findings.ts): a scenario's finding (store `FindingInput`) must use a kind of its check, so a typo or
 * another check's kind fails `npm run typecheck`.
 */
export type FindingKindsByCheck = { [N in keyof typeof BUILT_IN]: Extract<keyof (typeof BUILT_IN)[N]['findingKinds'], string> } & {
  scenario: ScenarioFindingKind;
};
/** Every kind a built-in check can report. */
export type KnownFindingKind = FindingKindsByCheck[keyof FindingKindsByCheck];

// Checks differ in params/observation types; the registry holds them erased (each keeps its own types inside).
export type AnyCheck = Check<never, never, string>;

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

for (const [name, c] of Object.entries(BUILT_IN)) {
  if (c.name !== name) throw new Error(`harness/checks/registry.ts: BUILT_IN key '${name}' is not the check's name '${c.name}'`);
  registerCheck(c as unknown as AnyCheck);
}
