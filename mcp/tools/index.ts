/** Every tool, and the selection by --toolsets / --disable-tools. */
import { TOOLSETS, type AnyTool, type Toolset } from '../registry.ts';
import { k8sTools } from './k8s.ts';
import { ovnTools } from './ovn.ts';
import { ovsTools } from './ovs.ts';
import { kernelTools } from './kernel.ts';
import { analysisTools } from './analysis.ts';
import { ptpTools } from './ptp.ts';
import { harnessTools, type HarnessToolsOptions } from './harness.ts';
import { UsageError } from '../../harness/errors.ts';

/** Every tool now: the analysis tools include one per registered check (harness/checks/registry.ts). */
export function allTools(): AnyTool[] {
  return [...k8sTools, ...ovnTools, ...ovsTools, ...kernelTools, ...analysisTools(), ...ptpTools];
}

/** The tools with the built-in checks (as loaded). */
export const ALL_TOOLS: AnyTool[] = allTools();

export interface Selection {
  toolsets?: string[];
  disableTools?: string[];
  /** the opt-in `harness` toolset's database and whether it may start runs */
  harness?: HarnessToolsOptions;
}

/** Toolsets served without --toolsets: all but the opt-in `harness` (the results database, runs). */
export const DEFAULT_TOOLSETS: readonly Toolset[] = TOOLSETS.filter((t) => t !== 'harness');

export function selectTools(sel: Selection = {}): AnyTool[] {
  const sets = sel.toolsets?.length ? sel.toolsets : [...DEFAULT_TOOLSETS];
  for (const s of sets)
    if (!(TOOLSETS as readonly string[]).includes(s))
      throw new UsageError(`--toolsets: unknown toolset '${s}' (have: ${TOOLSETS.join(', ')})`);
  const disabled = new Set(sel.disableTools ?? []);
  const all = sets.includes('harness') && sel.harness ? [...allTools(), ...harnessTools(sel.harness)] : allTools();
  for (const d of disabled)
    if (!all.some((t) => t.name === d))
      throw new UsageError(`--disable-tools: unknown tool '${d}' (have: ${all.map((t) => t.name).join(', ')})`);
  return all.filter((t) => sets.includes(t.toolset as Toolset) && !disabled.has(t.name));
}
