// invoke.ts — the server side's one way to run a call: find the function a dotted path names on
// the exposed object and call it with its parent as `this`. Shared by synchronous calls
// (sync-call.ts) and sabre-native RPC (remote.ts).
//
// Only own or inherited properties reached through plain objects, functions and class
// instances are followed; `__proto__`, `constructor` and `prototype` are refused as path
// parts, so a caller can never reach Object's or Function's internals through a path.
import { InvalidArgumentError } from "../errors";

const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

/** Calls `target[path](...args)` (path parts separated by dots); throws InvalidArgumentError
 *  naming the path when it does not lead to a function. */
export function invoke(target: unknown, path: string, args: readonly unknown[], what: string): unknown {
  if (typeof path !== "string" || path.length === 0) {
    throw new InvalidArgumentError(`${what}: a call names a function by a non-empty string path, got ${typeof path}`);
  }
  if (!Array.isArray(args)) throw new InvalidArgumentError(`${what}: the arguments of ${path} must be an array`);
  let parent: unknown = undefined;
  let value: unknown = target;
  for (const part of path.split(".")) {
    if (FORBIDDEN.has(part) || value === null || (typeof value !== "object" && typeof value !== "function")) {
      throw new InvalidArgumentError(`${what}: "${path}" does not name a function of the exposed object`);
    }
    parent = value;
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value !== "function") {
    throw new InvalidArgumentError(`${what}: "${path}" is not a function of the exposed object (it is ${value === null ? "null" : typeof value})`);
  }
  return (value as (...a: unknown[]) => unknown).apply(parent, args as unknown[]);
}
