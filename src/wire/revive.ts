// revive.ts — live sabre objects to structured-cloneable data and back (the wire form that
// spawnWorker posts to a worker; platform-neutral, no `node:` imports).
//
//   toWire(data)               every live sabre object (Region, Mutex, Semaphore, CondVar,
//                              Barrier, RwLock, RingBuffer, ByteRing, SpscRing, Channel, and any object
//                              whose `.handle.__sabre` is a registered kind) becomes its handle
//   fromWire(wire, { codecs }) every handle becomes a live object again, attached on this
//                              thread by its kind's `from` (Region.from for "region", ...)
//   registerHandleKind(name, from)   plugs in a new kind (one line per kind, see BUILTIN_KINDS)
//
// Walked: plain objects (prototype Object.prototype or null), arrays, Maps (keys and values)
// and Sets. Everything else is a leaf and left alone for structured clone to copy or refuse:
// typed arrays, ArrayBuffers, Dates, class instances that are not sabre objects. Shared and
// cyclic references are kept (each container is copied once). A plain object is never taken
// for a live object (`{ handle: h }` stays a plain object); only class instances are.
//
// A handle (a plain object with a string `__sabre`) is a leaf on both sides: toWire passes a
// handle through unchanged, and fromWire attaches it, so data may hold live objects or
// handles. An Error (any class) travels as an ErrorWire and comes back as an instance of its
// sabre class by its `code` (errors.ts), with its message, stack and own data fields;
// structured clone alone would keep only the message. A handle of an unknown kind, or one
// whose `from` refuses it (a corrupt or stale handle), throws an error naming where it is in
// the data (`data.jobs[2]`), of the same class as the error `from` threw (ForeignHandleError
// for an unknown kind).
//
// Channels made with a custom codec need the codec object on the receiving side:
// fromWire(wire, { codecs: { [codec.name]: codec } }).
//
// Types: Attached<T> is what fromWire gives for data typed T: live objects keep their type and
// handles become their live class (ChannelHandle -> Channel), by the LiveKinds map.
//
// Adding a built-in kind: one line in the table of kinds() below — ["mailbox", (h, c) =>
// Mailbox.from(h, ...)] — and its entry in LiveKinds (`mailbox: Mailbox`). Code outside sabre can do the same at run time and extend
// the type map by declaration merging (interface LiveKinds is open). If the kind has
// markPeerGone, spawnWorker marks it when a worker it was passed to crashes.
import { Barrier } from "../sync/barrier";
import { ByteRing } from "../queue/bytering";
import { Channel, type ChannelHandle } from "../channel/channel";
import type { Codec } from "../codec/codec";
import { CondVar } from "../sync/condvar";
import { ForeignHandleError, SabreError, errorFromWire, errorToWire, type ErrorWire } from "../errors";
import { Mailbox, type MailboxHandle } from "../mailbox/mailbox";
import { Mutex } from "../sync/mutex";
import { Region } from "../region/region";
import { RingBuffer } from "../queue/ring";
import { RwLock } from "../sync/rwlock";
import { SpscRing } from "../queue/spsc";
import { Semaphore } from "../sync/semaphore";
import type { WasmMemory } from "../globals";

/** The live class of each handle kind (`__sabre` name), for Attached<T>. Open for merging. */
export interface LiveKinds {
  /** A {@link Region}, from a RegionHandle. */
  region: Region;
  /** A {@link Mutex}, from a MutexHandle. */
  mutex: Mutex;
  /** A {@link Semaphore}, from a SemaphoreHandle. */
  semaphore: Semaphore;
  /** A {@link CondVar}, from a CondVarHandle. */
  condvar: CondVar;
  /** A {@link Barrier}, from a BarrierHandle. */
  barrier: Barrier;
  /** A {@link RwLock}, from a RwLockHandle. */
  rwlock: RwLock;
  /** A {@link RingBuffer}, from a RingBufferHandle. */
  ring: RingBuffer;
  /** A {@link ByteRing}, from a ByteRingHandle. */
  bytering: ByteRing;
  /** A {@link Channel}, from a ChannelHandle. */
  channel: Channel<any>;
  /** A {@link Mailbox}, from a MailboxHandle. */
  mailbox: Mailbox<any>;
  /** A {@link SpscRing}, from a SpscRingHandle. */
  spsc: SpscRing<any>;
}

/** Anything with a handle of a known kind: the live sabre objects. */
type Live = LiveKinds[keyof LiveKinds];
type Leaf =
  | Live | ArrayBufferView | ArrayBufferLike | Date | RegExp | Error | WasmMemory
  | ((...args: any[]) => unknown) | string | number | boolean | bigint | symbol | null | undefined;

/** What fromWire returns for data typed `T`: handles become live objects, the rest keeps its type. */
export type Attached<T> =
  0 extends 1 & T ? any // T is any
  : T extends Leaf ? T
  : T extends ChannelHandle<infer V> ? Channel<V>
  : T extends MailboxHandle<infer V> ? Mailbox<V>
  : T extends {
    /** A handle's kind. */
    readonly __sabre: infer K extends keyof LiveKinds;
  } ? LiveKinds[K]
  : T extends Map<infer K, infer V> ? Map<Attached<K>, Attached<V>>
  : T extends Set<infer V> ? Set<Attached<V>>
  : T extends readonly unknown[] ? { -readonly [I in keyof T]: Attached<T[I]> }
  : T extends object ? { [P in keyof T]: Attached<T[P]> }
  : T;

/** What toWire returns for data typed `T`: live objects become their handles. */
export type Wire<T> =
  0 extends 1 & T ? any // T is any
  : T extends {
    /** A live object's handle. */
    readonly handle: infer H extends {
      /** The handle's kind. */
      readonly __sabre: keyof LiveKinds;
    };
  } ? H
  : T extends Leaf ? T
  : T extends Map<infer K, infer V> ? Map<Wire<K>, Wire<V>>
  : T extends Set<infer V> ? Set<Wire<V>>
  : T extends readonly unknown[] ? { -readonly [I in keyof T]: Wire<T[I]> }
  : T extends object ? { [P in keyof T]: Wire<T[P]> }
  : T;

/** What a kind's `from` gets besides the handle. */
export interface ReviveContext {
  /** The codec object registered under `name` (FromWireOptions.codecs), if any. */
  codec(name: string): Codec<any> | undefined;
  /** True when the handle is attached only to be marked peer-gone (a crash watcher): return
   *  something with markPeerGone and cache nothing for this thread. */
  readonly markOnly?: boolean;
}

/**
 * How {@link registerHandleKind} attaches a handle of its kind: returns the live object for this
 * thread (throw for a bad handle; fromWire adds where in the data it was).
 */
export type HandleReviver = (handle: any, context: ReviveContext) => object;

/** Options of {@link fromWire} and `attachWorkerData`. */
export interface FromWireOptions {
  /** Codec objects by name, for channels created with a custom codec. */
  codecs?: Record<string, Codec<any>>;
  /** Names the root in error messages (default "data"). */
  root?: string;
}

/** The registered kinds by name. The built-in kinds (one line each; a new primitive adds its
 *  line here) are filled in on first use, so this module does nothing on load and a bundle
 *  that never revives a handle drops it with every class it names. */
let registry: Map<string, HandleReviver> | undefined;
function kinds(): Map<string, HandleReviver> {
  registry ??= new Map<string, HandleReviver>([
    ["region", (h) => Region.from(h)],
    ["mutex", (h) => Mutex.from(h)],
    ["semaphore", (h) => Semaphore.from(h)],
    ["condvar", (h) => CondVar.from(h)],
    ["barrier", (h) => Barrier.from(h)],
    ["rwlock", (h) => RwLock.from(h)],
    ["ring", (h) => RingBuffer.from(h)],
    ["bytering", (h) => ByteRing.from(h)],
    ["spsc", (h) => SpscRing.from(h)],
    ["channel", (h: ChannelHandle, c) => Channel.from(h, { codec: c.codec(h?.codec) })],
    // marked through its channel: Mailbox.from keeps one object per thread, and a mark-only
    // one would be what the worker's own attachWorkerData got
    ["mailbox", (h: MailboxHandle, c) =>
      c.markOnly ? Channel.from(h.channel, { codec: c.codec(h.channel?.codec) }) : Mailbox.from(h, { codec: c.codec(h?.codec) })],
    // errors travel as ErrorWire (errors.ts): class, code and own fields survive the crossing
    ["error", (h: ErrorWire) => errorFromWire(h)],
  ]);
  return registry;
}

/**
 * Registers how to attach handles whose `__sabre` is `name`: fromWire calls `from(handle,
 * context)` for each. Registering a name again replaces its reviver.
 */
export function registerHandleKind(name: string, from: HandleReviver): void {
  if (typeof name !== "string" || name === "" || typeof from !== "function") {
    throw new TypeError("registerHandleKind(name, from): name is a non-empty string and from a function");
  }
  kinds().set(name, from);
}

/** Whether `name` is a registered handle kind. */
export function isHandleKind(name: unknown): boolean {
  return typeof name === "string" && kinds().has(name);
}

// ---- walking ------------------------------------------------------------------------------

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A handle: a plain object whose `__sabre` is a string (registered or not). */
function isHandle(value: object): value is { __sabre: string } {
  return isPlainObject(value) && typeof (value as { __sabre?: unknown }).__sabre === "string";
}

/** A live sabre object: a class instance whose `.handle` is a handle of a registered kind. */
function liveHandle(value: object): object | undefined {
  if (isPlainObject(value) || Array.isArray(value)) return undefined;
  let handle: unknown;
  try {
    handle = (value as { handle?: unknown }).handle;
  } catch {
    return undefined;
  }
  if (handle && typeof handle === "object" && isHandle(handle) && kinds().has(handle.__sabre)) return handle;
  return undefined;
}

/** Copies containers, mapping each non-container and each handle through `leaf` (path for
 *  errors); @internal exported for sabre/node's process wire, which rewrites handles. */
export function walk(value: unknown, path: string, seen: Map<object, unknown>, leaf: (v: object, path: string) => unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = walk(value[i], `${path}[${i}]`, seen, leaf);
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    let i = 0;
    for (const [k, v] of value) {
      const at = `${path}.get(${typeof k === "string" ? JSON.stringify(k) : typeof k === "number" ? k : `<key ${i}>`})`;
      out.set(walk(k, `${path}<key ${i}>`, seen, leaf), walk(v, at, seen, leaf));
      i++;
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    let i = 0;
    for (const v of value) out.add(walk(v, `${path}<element ${i++}>`, seen, leaf));
    return out;
  }
  if (isPlainObject(value) && !isHandle(value)) {
    const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
    seen.set(value, out);
    for (const key of Object.keys(value)) {
      const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      out[key] = walk((value as Record<string, unknown>)[key], at, seen, leaf);
    }
    return out;
  }
  const mapped = leaf(value, path);
  seen.set(value, mapped);
  return mapped;
}

/** `data` with every live sabre object replaced by its handle (see the header). */
export function toWire<T>(data: T): Wire<T> {
  return walk(data, "data", new Map(), (v) => (v instanceof Error ? errorToWire(v) : liveHandle(v) ?? v)) as Wire<T>;
}

/** `wire` with every handle attached on this thread (see the header). */
export function fromWire<T>(wire: T, options: FromWireOptions = {}): Attached<T> {
  const codecs = options.codecs ?? {};
  const context: ReviveContext = { codec: (name) => (Object.hasOwn(codecs, name) ? codecs[name] : undefined) };
  return reviveWith(wire, options.root ?? "data", context) as Attached<T>;
}

function reviveWith(wire: unknown, root: string, context: ReviveContext): unknown {
  return walk(wire, root, new Map(), (v, path) => {
    if (!isHandle(v)) return v;
    const from = kinds().get(v.__sabre);
    if (!from) {
      throw new ForeignHandleError(
        `${path}: a handle of unknown kind "${v.__sabre}" (known: ${[...kinds().keys()].join(", ")}); ` +
          "register it with registerHandleKind, or import the module that defines it, before attaching",
      );
    }
    try {
      return from(v, context);
    } catch (error) {
      const message = `${path}: ${(error as Error)?.message ?? String(error)}`;
      if (error instanceof SabreError) throw new (error.constructor as typeof SabreError)(message, { cause: error });
      throw new ForeignHandleError(message, { cause: error });
    }
  });
}

// ---- crash watching (used by spawnWorker on both platforms) ---------------------------------

/** Something whose peers can be told it is gone: a Channel, a Mailbox. */
export interface PeerEndpoint {
  /** Makes every blocked and later operation on this endpoint throw PeerGoneError. */
  markPeerGone(): void;
  /** @internal Records another party (its agent in the endpoint's region, from `agentFor`) as
   *  attached to the endpoint's channel (a worker host, before the worker starts). */
  attachParty?(agentFor: (region: Region) => number): void;
}

/** @internal endpoint.attachParty(agentFor) where the endpoint has it; never throws. */
export function registerAttached(endpoint: PeerEndpoint, agentFor: (region: Region) => number): void {
  try {
    endpoint.attachParty?.(agentFor);
  } catch {
    // an endpoint freed meanwhile: nothing to attach to
  }
}

/** A codec that refuses to run: endpoints attached only to be marked never encode or decode. */
const markOnlyCodec: Codec<never> = {
  name: "mark-only",
  encode() {
    throw new SabreError("this endpoint was attached only to be marked peer-gone");
  },
  decode() {
    throw new SabreError("this endpoint was attached only to be marked peer-gone");
  },
};

/**
 * @internal The objects in `data` (live, or handles attached here) that have markPeerGone,
 * each once. Handles that cannot be attached are skipped: this never throws.
 */
export function peerEndpoints(data: unknown): PeerEndpoint[] {
  const found = new Set<PeerEndpoint>();
  const context: ReviveContext = { codec: () => markOnlyCodec, markOnly: true };
  walk(data, "data", new Map(), (v) => {
    let live: unknown = v;
    if (isHandle(v)) {
      const from = kinds().get(v.__sabre);
      try {
        live = from?.(v, context);
      } catch {
        live = undefined;
      }
    }
    if (live && typeof (live as PeerEndpoint).markPeerGone === "function") found.add(live as PeerEndpoint);
    return v;
  });
  return [...found];
}

/** @internal Marks every endpoint's peers gone; a failure on one does not stop the others. */
export function markAllPeerGone(endpoints: readonly PeerEndpoint[]): void {
  for (const endpoint of endpoints) {
    try {
      endpoint.markPeerGone();
    } catch {
      // an endpoint freed meanwhile: nothing left to wake
    }
  }
}
