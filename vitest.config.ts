import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: keep parallelism modest so process-spawning tests (kubectl, kill -9) stay reliable.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // One temp root per run, checked empty and removed at the end (test/support/temp-root.ts).
    globalSetup: ['./test/support/temp-root.ts'],
  },
});
