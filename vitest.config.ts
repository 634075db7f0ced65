import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'harness/**/*.test.ts',
      'sim/**/*.test.ts',
      'mcp/**/*.test.ts',
      'chaos/**/*.test.ts',
      'evals/**/*.test.ts',
    ],
    testTimeout: 60_000,
    // Integration tests drive real OVN daemons, Prometheus and Chromium on 2 shared cores; a test that fails is
    // run once more, and one that fails twice fails the run (vitest reports every retry in its output).
    retry: 1,
    hookTimeout: 180_000,
    // Integration suites start embedded clusters with real OVN processes; two cores do not take more.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    // lists the /tmp/nh-* dirs a run leaves (fails the run with NH_TMP_CHECK=1, as .ci/run sets)
    globalSetup: ['./test/support/tmp-check.ts'],
  },
});
