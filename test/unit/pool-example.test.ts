// pool-example.test.ts — examples/pool.mjs and examples/reduce.mjs (README, "Worker pool") run
// as written with the current Node and print what the README says.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("examples", () => {
  it("pool.mjs: run, map, a streamed result and a cancelled task", () => {
    const out = execFileSync(process.execPath, [fileURLToPath(new URL("../../examples/pool.mjs", import.meta.url))], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(out.trim()).toBe("fib=6765 map=55,89,144,233 stream=3,2,1 cancelled=AbortError completed=6");
  });

  it("reduce.mjs: a region's Float64Array summed in place by the pool's workers", () => {
    const out = execFileSync(process.execPath, [fileURLToPath(new URL("../../examples/reduce.mjs", import.meta.url))], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(out.trim()).toBe("parts=8 sum=1998000000 matches=true");
  });
});
