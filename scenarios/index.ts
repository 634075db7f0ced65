/**
 * Registry of scenarios by name. Each entry loads its module lazily (a scenario may pull heavy deps).
 * Add a line per scenario: `'<name>': () => import('./<name>.ts'),` (the module default-exports `scenario(...)`).
 */
import { isScenario, type Scenario } from '../harness/index.ts';

type Loader = () => Promise<{ default: unknown }>;

export const scenarios: Record<string, Loader> = {
  'corenet-6498': () => import('./corenet-6498.ts'),
  'node-reboot': () => import('./node-reboot.ts'),
  'ovn-pod-restart': () => import('./ovn-pod-restart.ts'),
  'ptp-config-error': () => import('./ptp-config-error.ts'),
  'ptp-gm-loss': () => import('./ptp-gm-loss.ts'),
  'ptp-holdover': () => import('./ptp-holdover.ts'),
  'ptp-link-down': () => import('./ptp-link-down.ts'),
  'ptp-process-kill': () => import('./ptp-process-kill.ts'),
};

export function scenarioNames(): string[] {
  return Object.keys(scenarios).sort();
}

export async function loadScenario(name: string): Promise<Scenario | undefined> {
  const loader = scenarios[name];
  if (!loader) return undefined;
  const mod = await loader();
  if (!isScenario(mod.default)) throw new Error(`scenarios/${name}.ts does not default-export scenario(...)`);
  return mod.default;
}
