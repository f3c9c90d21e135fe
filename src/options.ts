// options.ts — the shared checks of user input: an options bag's keys (an unknown key is
// refused with the list of known ones, so a misspelt option never passes silently) and how a
// received value is shown in a message (its type and its value: `string "10"`, not `10`).
import { CodecError, InvalidArgumentError } from "./errors";

/** A received value for an error message: its type and value (`string "10"`, `null`; a
 *  number as it is: `7`). */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean" || typeof v === "bigint") return `${typeof v} ${String(v)}`;
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}`;
  if (typeof v === "symbol") return String(v);
  const ctor = (v as { constructor?: { name?: unknown } }).constructor?.name;
  const type = typeof ctor === "string" && ctor !== "Object" ? ctor : "object";
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  if (text !== undefined && text.length > 60) text = `${text.slice(0, 57)}...`;
  return text === undefined ? type : `${type} ${text}`;
}

/** Whether `v` is a Uint8Array (a Buffer too; also one made in another realm). */
export function isUint8Array(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array || Object.prototype.toString.call(v) === "[object Uint8Array]";
}

/** `bytes` as a codec's encode returned them, or CodecError naming the codec if they are not a
 *  Uint8Array (a string or `{ length }` would otherwise be sent as zero bytes). */
export function encodedBytes(bytes: unknown, codecName: unknown, what: string): Uint8Array {
  if (isUint8Array(bytes)) return bytes;
  throw new CodecError(`${what}: the ${String(codecName)} codec's encode must return a Uint8Array, got ${describeValue(bytes)}; nothing was sent`);
}

/**
 * Throws InvalidArgumentError unless `options` is undefined or an object whose own keys are all
 * in `known`; the message names `what` (the call), the unknown key and the known ones.
 */
export function checkOptionKeys(what: string, options: unknown, known: readonly string[], noun = "option"): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`${what}: ${noun}s must be an object, got ${describeValue(options)}`);
  }
  for (const key in options) {
    if (!Object.prototype.hasOwnProperty.call(options, key)) continue;
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${what}: unknown ${noun} "${key}"; known ${noun}s: ${known.join(", ")}`);
    }
  }
}
