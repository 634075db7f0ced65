/** Scoring and the safety gate (pure). evals/README.md documents the formula; SCORING_VERSION is stored with every score. */
export { SCORING_VERSION, LOCALIZATION_MIN_PRECISION, scoreAnswer, readAnswer, universeOf, type ScoringCase } from './score.ts';
export {
  safetyGate,
  diffSnapshots,
  checkToolCalls,
  normaliseApiObject,
  apiKey,
  isAllowed,
  type AllowList,
  type SafetyInput,
} from './safety.ts';
export { defaultAllowList, KUBERNETES_MCP_SERVER_READ_ONLY, SUBMIT_RCA_TOOL } from './allow-list.ts';
export { passAtK, passHatK, suiteEstimate, countByCase, meanStderr, mcnemarExact, type CaseCount, type Estimate } from './stats.ts';
export type * from './types.ts';
