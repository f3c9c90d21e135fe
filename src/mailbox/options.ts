// options.ts — the Mailbox's public handle and option types, their defaults, and the checks
// of options and arguments (exact messages, nothing changed on a bad value).
import type { TryRecvResult } from "../channel/channel";
import type { ChannelHandle } from "../channel/channel";
import { resolveCodec, type Codec, type CodecName } from "../codec/codec";
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys, describeValue } from "../options";
import type { Typed } from "../region/handle";
import type { RegionHandle } from "../region/region";
import type { WaitOptions } from "../wait/wait";
import { ENV_MAX_OVERHEAD } from "./envelope";
import type { Mailbox } from "./mailbox";
import type { Match } from "./receive";

export const DEFAULT_CAPACITY = 1024;
export const DEFAULT_BUFFER = 65536;
export const DEFAULT_MAX_SAVED = 10_000;
export const DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;
export const REPLY_INBOX = { capacity: 256, bufferBytes: 16384 };

/**
 * The structured-cloneable handle of a {@link Mailbox}: pass it to another thread and call
 * `Mailbox.from` there.
 */
export interface MailboxHandle<T = unknown> extends Typed<T> {
  /** The handle's kind, always "mailbox". */
  readonly __sabre: "mailbox";
  /** The handle of the region the mailbox lives in. */
  readonly region: RegionHandle;
  /** Offset of the mailbox's header block. */
  readonly offset: number;
  /**
   * A random number fixed at creation: replies addressed to a freed and reused inbox are dropped
   * instead of delivered to the wrong mailbox.
   */
  readonly nonce: number;
  /** The handle of the raw-bytes channel underneath. */
  readonly channel: ChannelHandle;
  /** The name of the mailbox's codec; `from` picks the same one (pass the object for a custom codec). */
  readonly codec: string;
  /** The mailbox's name in error messages. */
  readonly name: string;
}

/** Options of {@link Mailbox.create}. */
export interface MailboxOptions<T> {
  /** Messages the channel buffers before senders wait (default 1024; at least 1). */
  capacity?: number;
  /** Bytes of the channel's ring: a power of two from 64 (default 65536). */
  bufferBytes?: number;
  /** "msgpack" (default), "raw" (Uint8Array), "json", or { name, encode, decode }. */
  codec?: CodecName | Codec<T>;
  /** Largest encoded message accepted (default 64 MiB; the envelope comes on top). */
  maxMessageBytes?: number;
  /** Most non-matching messages the reader keeps for later receives (default 10_000). */
  maxSaved?: number;
  /** A name for error messages. */
  name?: string;
}

/** Options of {@link Mailbox.from}. */
export interface MailboxFromOptions<T> {
  /** The codec object, for a mailbox created with a custom codec. */
  codec?: Codec<T>;
  /** The reader's save-queue bound on this thread (default 10_000). */
  maxSaved?: number;
}

export interface RequestOptions extends WaitOptions {
  /** The reply inbox: a Mailbox this thread reads, in the same region as the server. */
  replyTo?: Mailbox<any>;
}

/** `timeout` bounds each wait for a request: a server idle that long returns (like close). */
export interface ServeOptions<T> extends WaitOptions {
  /** Serve only requests whose value matches; others stay saved. */
  match?: (value: T) => boolean;
  /** How long one reply may wait for space in a requester's reply inbox (default forever). */
  replyTimeout?: number;
}

/**
 * What {@link Mailbox.tryReceive} returns: `{ ok: true, value }`, or `{ ok: false, closed }`
 * (closed: the mailbox is closed and drained) — the shape of a Channel's tryRecv.
 */
export type MailboxTryResult<T> = TryRecvResult<T>;

/** The checked options of Mailbox.create. */
const MAILBOX_OPTION_KEYS: readonly string[] = ["capacity", "bufferBytes", "codec", "maxMessageBytes", "maxSaved", "name"];

export function createOptions<T>(options: MailboxOptions<T>, what: string) {
  checkOptionKeys(what, options, MAILBOX_OPTION_KEYS);
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new InvalidArgumentError(`${what}: capacity is a number of messages >= 1 (a mailbox is buffered), got ${describeValue(capacity)}`);
  }
  const maxSaved = checkMaxSaved(options.maxSaved, what);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0 || maxMessageBytes > 0x7fffffff - ENV_MAX_OVERHEAD) {
    throw new InvalidArgumentError(`${what}: maxMessageBytes must be an integer from 0 to 2^31 - ${ENV_MAX_OVERHEAD + 1}, got ${describeValue(maxMessageBytes)}`);
  }
  const codec = resolveCodec(options.codec, what);
  return { capacity, maxSaved, maxMessageBytes, codec, bufferBytes: options.bufferBytes ?? DEFAULT_BUFFER };
}

export function fromCodec<T>(h: Partial<MailboxHandle>, options: MailboxFromOptions<T>): Codec<T> {
  if (options.codec) return options.codec;
  if (h.codec === "msgpack" || h.codec === "raw" || h.codec === "json") return resolveCodec<T>(h.codec, "Mailbox.from");
  throw new InvalidArgumentError(`Mailbox.from: this mailbox uses the custom codec "${String(h.codec)}"; pass it as Mailbox.from(handle, { codec })`);
}

export function checkMaxSaved(v: number | undefined, what: string): number {
  const n = v ?? DEFAULT_MAX_SAVED;
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what}: maxSaved is a number of messages >= 0, got ${describeValue(v)}`);
  return n;
}

export function args<T>(a: Match<T> | WaitOptions | undefined, b: WaitOptions | undefined): [Match<T> | undefined, WaitOptions | undefined] {
  if (typeof a === "function") return [a, b];
  if (a === undefined || a === null) return [undefined, b];
  if (typeof a === "object") return [undefined, a];
  throw new InvalidArgumentError(`match must be a function (value) => boolean, got ${typeof a}`);
}
