// isolation.ts — feature detection for cross-origin isolation, which browsers require before
// they hand out SharedArrayBuffer or shared WebAssembly.Memory.
//
// Without it a page gets a cryptic failure somewhere later: Chromium creates a shared memory
// but refuses to post it to a worker (DataCloneError), other browsers throw a TypeError from
// `new WebAssembly.Memory({ shared: true })`, and `SharedArrayBuffer` is not defined at all.
// Region.create and Region.from check up front and throw CrossOriginIsolationError, whose
// message names the headers the server must send. Platform-neutral: Node and workers in an
// isolated page pass (Node has no `crossOriginIsolated`; its SharedArrayBuffer always exists).
import { CrossOriginIsolationError } from "../errors";

/** The response headers that make a page (and its workers) cross-origin isolated. */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
});

/**
 * Why this context cannot share memory, or undefined when it can. A browser page or worker
 * that is not cross-origin isolated gets a sentence naming the missing headers.
 */
export function crossOriginIsolationProblem(): string | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (g.crossOriginIsolated !== false && typeof g.SharedArrayBuffer === "function") return undefined;
  const headers = Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS).map(([k, v]) => `"${k}: ${v}"`).join(" and ");
  return (
    "this page is not cross-origin isolated (crossOriginIsolated is false), so the browser withholds " +
    "SharedArrayBuffer and shared WebAssembly.Memory. Serve the page and every worker script with the headers " +
    `${headers} (COEP "credentialless" works too); cross-origin scripts and images the page loads then need ` +
    'CORS or "Cross-Origin-Resource-Policy: cross-origin". See the "Browsers" section of sabre\'s README.'
  );
}

/** Throws CrossOriginIsolationError when this context cannot share memory. */
export function requireCrossOriginIsolation(what: string): void {
  const problem = crossOriginIsolationProblem();
  if (problem) throw new CrossOriginIsolationError(`${what}: ${problem}`);
}
