// vitest.config.ts — test runner settings. Tests import the built package ('sabre'), so
// `npm test` builds first; workers load the same dist/ files.
//
// Two projects: "stress" (test/stress) runs on the core's debug build, whose asserts are
// compiled in (SABRE_CORE_WASM, read by src/region/core.ts in every thread of the test, worker
// threads included: they inherit the environment), so a broken invariant under real threads
// traps at once; "main" is everything else, on the release build users get. The model tests
// run the model builds, which keep their asserts too (asconfig.json).
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const debugCore = fileURLToPath(new URL("build/sabre.debug.wasm", import.meta.url));

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "main", include: ["test/**/*.test.ts"], exclude: ["test/stress/**", "**/node_modules/**"] } },
      { extends: true, test: { name: "stress", include: ["test/stress/**/*.test.ts"], env: { SABRE_CORE_WASM: debugCore } } },
    ],
  },
});
