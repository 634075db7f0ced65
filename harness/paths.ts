/** Default paths: they live in ./constants.ts (the harness side's one constants module); re-exported for importers not yet moved. */
export { projectRoot, resultsDir, defaultDbPath, defaultSimWorkdir } from './constants.ts';
