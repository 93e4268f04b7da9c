import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests start real redis-server processes; two cores, so keep parallelism modest.
    // The pool's limits hold for all projects together.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
    // `vitest run` runs every project; `--project unit` (npm run test:unit) only the fast one.
    projects: [
      // Pure code: no server, no process, no synth (`npm run test:unit` adds --no-isolate: one module graph
      // per worker instead of per file, half the time; a per-project `isolate` is not honoured by the forks pool).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // CDK synth and the templates' contracts.
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'] } },
      // Real redis-servers, child processes, Chromium, the packed package.
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: ['test/unit/**', 'test/infra/**', '**/node_modules/**'] } },
    ],
  },
});
