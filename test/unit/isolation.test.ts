// isolation.test.ts — the cross-origin isolation check through the public entry, in Node:
// Node can always share memory; a context that reports crossOriginIsolated === false (a
// browser page served without COOP/COEP, simulated here) gets CrossOriginIsolationError from
// Region.create and Region.from, naming the headers. test/browser checks it in Chromium.
import { afterEach, describe, expect, it } from "vitest";
import { CROSS_ORIGIN_ISOLATION_HEADERS, CrossOriginIsolationError, Region, crossOriginIsolationProblem } from "sabre";

const g = globalThis as { crossOriginIsolated?: boolean };

describe("cross-origin isolation check", () => {
  afterEach(() => {
    delete g.crossOriginIsolated;
  });

  it("Node can share memory: no problem reported", () => {
    expect(crossOriginIsolationProblem()).toBeUndefined();
    expect(CROSS_ORIGIN_ISOLATION_HEADERS).toEqual({
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    });
  });

  it("a context that is not isolated gets a named error with both headers, from create and from", () => {
    const region = Region.create();
    g.crossOriginIsolated = false;
    expect(crossOriginIsolationProblem()).toMatch(/crossOriginIsolated is false/);
    expect(() => Region.create()).toThrow(CrossOriginIsolationError);
    expect(() => Region.create()).toThrow(/"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"/);
    expect(() => Region.from(region.handle)).toThrow(/^Region\.from: this page is not cross-origin isolated/);
    g.crossOriginIsolated = true;
    expect(Region.from(region.handle)).toBe(region);
  });
});
