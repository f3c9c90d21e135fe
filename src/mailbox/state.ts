// state.ts — MailboxState<T>: what one thread holds of one mailbox, shared by the mailbox's
// parts (the facade Mailbox extends it): the endpoint, the reader, the codec, the header's
// identity (block and nonce) and reply address; the hooks the parts call (ReaderHost,
// EndpointOwner, ReplyTarget); the lifecycle (close, peer-gone, reader-gone, free).
//
// One object per (thread, mailbox): the cache below maps a region and header block to it, and
// every constructor call registers itself there. `readHere` holds the mailboxes this thread has
// read, for markReadMailboxesGone when the thread ends.
import type { Channel } from "../channel/channel";
import type { Codec } from "../codec/codec";
import { ClosedError, ForeignHandleError, InvalidArgumentError, PeerGoneError } from "../errors";
import type { Region } from "../region/region";
import type { Deadline } from "../wait/deadline";
import { noteRegion, regionAddress } from "./address";
import { ChannelEndpoint } from "./endpoint";
import {
  ENV_MAX_OVERHEAD, K_GONE, K_MESSAGE, K_REPLY, K_REQUEST, addressBytes, decodeFailure, decodeValue, encodeValue, unpack,
} from "./envelope";
import { freeHeader, headerLive, isReader, noteReader, readerGone, setReaderGone } from "./header";
import type { MailboxHandle } from "./options";
import type { Envelope, ReplyAddress } from "./protocol";
import { Reader, type Incoming } from "./receive";
import { sendGone, type OpenRequest } from "./request";

/** Whether a delivery error means the reply inbox is gone (the reply is dropped). */
function replyDropped(error: unknown): boolean {
  return error instanceof ClosedError || error instanceof PeerGoneError;
}

/** This thread's mailbox objects, by region and header block. */
export const cache = new WeakMap<Region, Map<number, MailboxState<any>>>();
/** Mailboxes this thread has read (it may be their recorded reader). */
const readHere = new Set<MailboxState<any>>();

// A ReplyTarget (address.ts) by shape, checked where mailbox.ts registers the "region" reply
// scheme; no `implements` clause, because the published types leave out the members it names
// (they are internal, and stripInternal drops them).
export class MailboxState<T = unknown> {
  /** The structured-cloneable handle: post it to a worker and call `Mailbox.from` there. */
  readonly handle: MailboxHandle<T>;
  /** @internal The channel, as a message endpoint. */
  readonly endpoint: ChannelEndpoint;
  /** @internal This thread's reader state (save queue, pump, reply dispatcher). */
  readonly reader: Reader<T>;
  /** @internal This mailbox as a reply address, and its bytes in an envelope. */
  readonly replyAddress: ReplyAddress;
  /** @internal */
  readonly replyAddressBytes: Uint8Array;
  #codec: Codec<T>;
  /** @internal False for an object a server made from a reply address: it only carries
   *  replies, and the first Mailbox.from on this thread supplies its codec (adoptCodec). */
  codecKnown = true;
  /** @internal The header's nonce: this mailbox, not a later one in the same block. */
  readonly nonce: number;
  /** @internal Requests this thread took from this mailbox and has not answered yet (a small
   *  record each, kept until answered, the mailbox is freed, or the reader ends). */
  readonly openRequests = new Set<OpenRequest>();
  readonly #maxMessageBytes: number;
  #freed = false;
  #noted = false;

  /**
   * @internal
   * @param region The region the mailbox lives in.
   * @param offset Byte offset of the mailbox's header block in the region.
   * @param name The mailbox's name in error messages.
   */
  constructor(
    readonly region: Region, readonly offset: number, channel: Channel<Uint8Array>, codec: Codec<T>,
    nonce: number, readonly name: string, maxSaved: number,
  ) {
    this.#codec = codec;
    this.nonce = nonce;
    this.#maxMessageBytes = channel.maxMessageBytes - ENV_MAX_OVERHEAD;
    this.endpoint = new ChannelEndpoint(channel, this);
    this.reader = new Reader<T>(this, maxSaved);
    this.replyAddress = regionAddress(region, offset, nonce);
    this.replyAddressBytes = addressBytes(this.replyAddress);
    this.handle = Object.freeze({
      __sabre: "mailbox" as const, region: region.handle, offset, nonce, channel: channel.handle, codec: codec.name, name,
    });
    let map = cache.get(region);
    if (!map) cache.set(region, (map = new Map()));
    map.set(offset, this);
    noteRegion(region);
  }

  // ---- observers -------------------------------------------------------------------------------

  /** Messages and requests waiting for this thread: saved ones plus the channel's buffered
   *  ones (a racy snapshot; on a writer thread, just the channel's). */
  get len(): number {
    return this.reader.saved.length + this.endpoint.len;
  }
  /** Messages and requests in this thread's save queue. */
  get saved(): number {
    return this.reader.saved.length;
  }
  /** Whether the mailbox was closed: sends fail, receives drain what is left and then end. */
  get closed(): boolean {
    return this.endpoint.closed;
  }
  /** Messages the mailbox buffers before senders wait. */
  get capacity(): number {
    return this.endpoint.capacity;
  }
  /** Most non-matching messages this reader keeps for later receives (SaveQueueFullError past it). */
  get maxSaved(): number {
    return this.reader.saved.max;
  }
  /** Whether the thread reading this mailbox has ended (markReaderGone). */
  get readerGone(): boolean {
    return !this.#freed && readerGone(this.region, this.offset);
  }
  /** @internal */
  get freed(): boolean {
    return this.#freed;
  }
  /** @internal The codec of this mailbox on this thread. */
  get codec(): Codec<T> {
    return this.#codec;
  }
  /** @internal Takes the codec (and name) given at the first Mailbox.from on this thread. */
  adoptCodec(codec: Codec<T>, name: string): void {
    this.#codec = codec;
    this.codecKnown = true;
    (this as { name: string }).name = name;
    (this as { handle: MailboxHandle<T> }).handle = Object.freeze({ ...this.handle, codec: codec.name, name });
  }

  // ---- internals the parts share --------------------------------------------------------------------

  /** @internal */
  encodeValue(value: unknown, what: string): Uint8Array {
    return encodeValue(this.#codec, value, this.#maxMessageBytes, `${what} on ${this.name}`);
  }

  /** @internal (ReaderHost) An envelope with its value decoded. */
  decode(bytes: Uint8Array, what: string): Incoming<T> {
    const m = unpack(bytes, what, this.name) as Incoming<T>;
    if (m.kind === K_MESSAGE || m.kind === K_REQUEST) m.value = decodeValue(this.#codec, m.payload, `${what} on ${this.name}`);
    return m;
  }

  /** @internal (ReaderHost) A reply's value, or the RemoteError of a failure. */
  replyValue(m: Envelope, codec: Codec<any>, what: string): unknown {
    if (m.kind === K_REPLY) return decodeValue(codec, m.payload, `${what} on ${this.name}`);
    if (m.kind === K_GONE) throw new PeerGoneError(`${what}: the thread reading that mailbox ended before answering (noproc)`);
    throw decodeFailure(m.payload, what);
  }

  /** @internal (ReaderHost) Records this thread as the reader. */
  noteRead(): void {
    if (this.#freed) return;
    noteReader(this.region, this.offset);
    if (!this.#noted) {
      this.#noted = true;
      readHere.add(this);
    }
  }

  /** @internal (EndpointOwner) */
  goneError(what: string): PeerGoneError {
    return new PeerGoneError(
      readerGone(this.region, this.offset)
        ? `${what} on ${this.name}: the thread reading this mailbox has ended; nothing will receive or answer (noproc)`
        : `${what} on ${this.name}: the mailbox was marked peer-gone (a thread using it died)`,
    );
  }

  /** @internal */
  checkLive(what: string): void {
    if (this.#freed) throw new InvalidArgumentError(`${what} on ${this.name}: the mailbox was freed`);
  }

  /** @internal (ReplyTarget) Delivers a reply; false when this inbox is closed or its reader gone. */
  deliver(bytes: Uint8Array, deadline: Deadline, what: string): boolean {
    try {
      this.endpoint.send(bytes, deadline, what);
      return true;
    } catch (error) {
      if (replyDropped(error)) return false;
      throw error;
    }
  }

  /** @internal (ReplyTarget) */
  deliverAsync(bytes: Uint8Array, deadline: Deadline, what: string): Promise<boolean> {
    return this.endpoint.sendAsync(bytes, deadline, undefined, what).then(() => true, (error: unknown) => {
      if (replyDropped(error)) return false;
      throw error;
    });
  }

  // ---- both sides ----------------------------------------------------------------------------------------

  /** Closes the mailbox (idempotent): sends and requests fail from now on; the reader drains
   *  what is buffered and saved, then receives throw ClosedError and iteration ends. */
  close(): void {
    this.endpoint.close();
  }

  /** Marks the mailbox's peers gone (spawnWorker does this when a worker it was passed to
   *  crashes): blocked and later sends, receives and requests on it throw PeerGoneError. */
  markPeerGone(): void {
    this.endpoint.markPeerGone();
  }

  /** @internal Records another party as attached to the mailbox's channel (PeerEndpoint). A
   *  mailbox never fails its reader for dead writers: only its reader's end counts. */
  attachParty(agentFor: (region: Region) => number): void {
    this.endpoint.channel.attachParty(agentFor, false);
  }

  /** Marks that the thread reading this mailbox has ended ('sabre/node' does this when a worker
   *  thread that read it exits, with any code): as markPeerGone, and errors say so. */
  markReaderGone(): void {
    if (this.#freed) return;
    setReaderGone(this.region, this.offset);
    this.endpoint.markPeerGone();
  }

  /** @internal On the reader's thread as it ends: every request it took and has not answered,
   *  saved, or still queued in the channel is answered `gone`, so its requester fails at once. */
  abandonRequests(): void {
    for (const t of this.openRequests) sendGone(t.id, t.replyTo);
    this.openRequests.clear();
    for (const m of this.reader.drainRequests(this.endpoint.capacity)) sendGone(m.id, m.replyTo);
  }

  /**
   * Returns the mailbox's memory to the region. It must be unused everywhere (close it, let
   * the reader drain, stop servers); waiting async receives and requests of this thread are
   * rejected with ClosedError.
   */
  free(): void {
    const what = "Mailbox.free";
    this.checkLive(what);
    if (!headerLive(this.region, this.offset, this.nonce)) {
      throw new ForeignHandleError(`${what} on ${this.name}: already freed (by another thread?)`);
    }
    this.#freed = true;
    this.openRequests.clear();
    cache.get(this.region)?.delete(this.offset);
    readHere.delete(this);
    const finish = () => {
      freeHeader(this.region, this.offset, what); // first: replies to it become no-ops
      this.endpoint.free();
    };
    const pump = this.reader.shutdown(new ClosedError(`${what} on ${this.name}: the mailbox was freed`));
    if (pump) pump.then(finish, finish); // after the pump let go of the receive lock
    else finish();
  }
}

/**
 * @internal Marks reader-gone every mailbox whose recorded reader is this thread: called when
 * the thread ends ('sabre/node', from a worker thread's exit event). Never throws.
 */
export function markReadMailboxesGone(): void {
  for (const mb of readHere) {
    try {
      if (mb.freed || !isReader(mb.region, mb.offset)) continue;
      mb.abandonRequests();
      mb.markReaderGone();
    } catch {
      // a mailbox freed by another thread meanwhile: nothing left to mark
    }
  }
}
