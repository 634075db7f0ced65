/** The eval runner's defaults, apart from the runner so `netharness eval --help` shows them without loading it. */
import type { Budgets } from '../agents/types.ts';

export const DEFAULT_BUDGETS: Budgets = { maxSteps: 50, maxToolCalls: 100, maxTokens: 1_000_000, maxSeconds: 600 };
export const SIM_SPEED = 20;
