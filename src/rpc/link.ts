// link.ts — a link: two buffered msgpack Channels in one region, one per direction, seen from
// each end as { tx, rx } (tx of one end is rx of the other). The transport of the comlink
// endpoint and of synchronous calls (protocol.ts).
//
// An end is plain data holding two Channels, so it travels as it is in spawnWorker's and
// spawnProcess's `data` (the channels go as handles and come back attached), and a crash of
// the worker that holds an end marks both channels peer-gone (crash watching in spawn.ts).
// Roles: one end per thread or process; each end sends on its tx and receives on its rx.
import { Channel } from "../channel/channel";
import { InvalidArgumentError } from "../errors";
import { checkOptionKeys, describeValue } from "../options";
import { expectRegion, type Region } from "../region/region";

/** One end of a link: send on `tx`, receive on `rx`. Pass it to another thread or process in
 *  spawnWorker's / spawnProcess's `data`. */
export interface LinkEnd {
  /** Messages this end sends. */
  readonly tx: Channel<unknown>;
  /** Messages this end receives. */
  readonly rx: Channel<unknown>;
}

/** Options of {@link createLink}. */
export interface LinkOptions {
  /** Messages buffered per direction before a sender waits (default 1024). */
  capacity?: number;
  /** Bytes of each direction's ring, a power of two (default 262144); larger messages stream
   *  through in fragments. */
  bufferBytes?: number;
  /** Largest encoded message (default 64 MiB). */
  maxMessageBytes?: number;
  /** A name for error messages. */
  name?: string;
}

/** The two ends of a link (see {@link createLink}). */
export interface Link {
  /** The end this thread usually keeps. */
  readonly port1: LinkEnd;
  /** The end to pass to the other thread or process. */
  readonly port2: LinkEnd;
}

const LINK_OPTIONS = ["capacity", "bufferBytes", "maxMessageBytes", "name"];

/**
 * Creates a link in `region`: two Channels, one per direction, like a MessageChannel's two
 * ports. Keep `port1`, pass `port2` to the other side (spawnWorker / spawnProcess data; for a
 * process the region must be file-backed). Free it with {@link freeLink} when both sides are done.
 */
export function createLink(region: Region, options: LinkOptions = {}): Link {
  const what = "createLink";
  expectRegion(region, what);
  checkOptionKeys(what, options, LINK_OPTIONS);
  const capacity = options.capacity ?? 1024;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new InvalidArgumentError(`${what}: capacity is a number of messages >= 1 (a link is buffered), got ${describeValue(capacity)}`);
  }
  const name = options.name ?? "link";
  const base = { capacity, bufferBytes: options.bufferBytes ?? 262144, maxMessageBytes: options.maxMessageBytes };
  const a = Channel.create<unknown>(region, { ...base, name: `${name} (1 -> 2)` });
  let b: Channel<unknown>;
  try {
    b = Channel.create<unknown>(region, { ...base, name: `${name} (2 -> 1)` });
  } catch (error) {
    a.free();
    throw error;
  }
  return { port1: { tx: a, rx: b }, port2: { tx: b, rx: a } };
}

/** Closes and frees both channels of a link (from either end), when no side uses it any more. */
export function freeLink(end: LinkEnd): void {
  for (const ch of [end.tx, end.rx]) {
    ch.close();
    ch.free();
  }
}

/** `end` checked to be a LinkEnd (two live Channels), for `what`'s error message. */
export function expectLinkEnd(end: unknown, what: string): LinkEnd {
  const e = end as Partial<LinkEnd> | null | undefined;
  if (!e || typeof e !== "object" || !(e.tx instanceof Channel) || !(e.rx instanceof Channel)) {
    throw new InvalidArgumentError(
      `${what}: expects a link end { tx, rx } (createLink(region).port1, or port2 as attached by attachWorkerData / attachProcessData), got ${describeValue(end)}`,
    );
  }
  return e as LinkEnd;
}
