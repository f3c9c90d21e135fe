// vitest.config.ts — test runner settings. Tests import the built package ('sabre'), so
// `npm test` builds first; workers load the same dist/ files.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
