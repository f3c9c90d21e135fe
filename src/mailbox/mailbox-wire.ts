// mailbox-wire.ts — the Mailbox's wire format and header block as code (the contract is the
// header of mailbox.ts): envelope packing, error replies, the header check a server runs before
// replying, and MailboxRequest, the one-shot reply capability a server receives.
import { InvalidArgumentError, RemoteError } from "../errors";
import type { Region } from "../region/region";
import type { WaitOptions } from "../wait/wait";

// ---- layout ------------------------------------------------------------------------------------

export const MB_MAGIC = 0;
export const MB_NONCE = 4;
export const MB_CHANNEL = 8;
export const MB_MAX_MSG = 12;
export const MB_BYTES = 64;
export const MB_MAGIC_VALUE = 0x584f424d;

export const ENV_KIND = 0;
export const ENV_ID = 4;
export const ENV_REPLY = 8;
export const ENV_NONCE = 12;
export const ENV_HEADER = 16;

export const K_MESSAGE = 1;
export const K_REQUEST = 2;
export const K_REPLY = 3;
export const K_FAILURE = 4;

export interface Incoming<T> {
  kind: number;
  id: number;
  replyOffset: number;
  replyNonce: number;
  value: T | undefined; // message and request
  payload: Uint8Array; // reply and failure
}

export function randomNonce(): number {
  let n = 0;
  while (n === 0) n = (Math.random() * 0x100000000) | 0;
  return n;
}

export function envelope(kind: number, id: number, replyOffset: number, replyNonce: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENV_HEADER + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(ENV_KIND, kind);
  dv.setUint32(ENV_ID, id, true);
  dv.setUint32(ENV_REPLY, replyOffset, true);
  dv.setInt32(ENV_NONCE, replyNonce, true);
  out.set(payload, ENV_HEADER);
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function encodeFailure(error: unknown): Uint8Array {
  const e = error as { name?: unknown; message?: unknown; stack?: unknown } | null | undefined;
  const isObj = typeof e === "object" && e !== null;
  const body = {
    name: isObj && typeof e.name === "string" ? e.name : "Error",
    message: isObj && typeof e.message === "string" ? e.message : String(error),
    stack: isObj && typeof e.stack === "string" ? e.stack : undefined,
  };
  return utf8Encoder.encode(JSON.stringify(body));
}

export function isA(error: unknown, name: string): boolean {
  return (error as { name?: unknown } | null)?.name === name;
}

// ---- the request a server received ------------------------------------------------------------

/** A request taken by receiveRequest*: its value and a one-shot reply capability. */
export class MailboxRequest<T = unknown, R = unknown> {
  #answered = false;

  /** @internal */
  constructor(
    /** The request's value, as the requester sent it. */
    readonly value: T,
    private readonly server: ReplySink,
    private readonly id: number,
    private readonly replyOffset: number,
    private readonly replyNonce: number,
  ) {}

  /** Whether reply or fail was called. */
  get answered(): boolean {
    return this.#answered;
  }

  #send(kind: number, value: unknown, options: WaitOptions | undefined, async: boolean, what: string): boolean | Promise<boolean> {
    if (this.#answered) throw new InvalidArgumentError(`${what}: this request was already answered`);
    // encoding first: a value the codec refuses throws CodecError and leaves the request open
    return this.server.deliverReply(kind, this.id, this.replyOffset, this.replyNonce, value, options, async, () => {
      this.#answered = true;
    });
  }

  /** Sends `result` to the requester (blocking while its reply inbox is full). Returns false
   *  when the requester's reply inbox is gone or closed (the reply is dropped). A result the
   *  codec cannot encode throws CodecError and leaves the request unanswered. */
  reply(result: R, options?: WaitOptions): boolean {
    return this.#send(K_REPLY, result, options, false, "MailboxRequest.reply") as boolean;
  }

  /** Sends `error` to the requester, who gets a RemoteError with its name and message. */
  fail(error: unknown, options?: WaitOptions): boolean {
    return this.#send(K_FAILURE, error, options, false, "MailboxRequest.fail") as boolean;
  }

  /** `reply` without blocking the thread. */
  async replyAsync(result: R, options?: WaitOptions): Promise<boolean> {
    return this.#send(K_REPLY, result, options, true, "MailboxRequest.replyAsync");
  }

  /** `fail` without blocking the thread. */
  async failAsync(error: unknown, options?: WaitOptions): Promise<boolean> {
    return this.#send(K_FAILURE, error, options, true, "MailboxRequest.failAsync");
  }
}


/** Reads an envelope's header; `payload` is the rest (a view of `bytes`). */
export function unpackHeader<T>(bytes: Uint8Array): Incoming<T> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    kind: dv.getUint8(ENV_KIND), id: dv.getUint32(ENV_ID, true), replyOffset: dv.getUint32(ENV_REPLY, true),
    replyNonce: dv.getInt32(ENV_NONCE, true), value: undefined, payload: bytes.subarray(ENV_HEADER),
  };
}

/** The RemoteError for a failure reply's payload. */
export function decodeFailure(payload: Uint8Array, what: string): RemoteError {
  let body: { name?: string; message?: string; stack?: string };
  try {
    body = JSON.parse(utf8Decoder.decode(payload)) as typeof body;
  } catch {
    body = { name: "Error", message: "(undecodable error reply)" };
  }
  const name = String(body.name ?? "Error");
  const message = String(body.message ?? "");
  return new RemoteError(`${what}: the server's handler threw ${name}: ${message}`, name, message, body.stack);
}

/** Whether `offset` holds a live mailbox header with `nonce` (a server checks this before
 *  every reply, so a reply to a freed inbox is dropped). */
export function headerMatches(region: Region, offset: number, nonce: number): boolean {
  if (!Number.isInteger(offset) || offset <= 0 || offset % 4 !== 0 || offset + MB_BYTES > region.byteLength) return false;
  try {
    region.bytes(offset, MB_BYTES); // throws unless an allocated block of at least 64 bytes
  } catch {
    return false;
  }
  const w = region.words;
  return Atomics.load(w, (offset + MB_MAGIC) >> 2) === MB_MAGIC_VALUE && Atomics.load(w, (offset + MB_NONCE) >> 2) === nonce && nonce !== 0;
}

/** What a MailboxRequest replies through (Mailbox.deliverReply). */
export interface ReplySink {
  deliverReply(
    kind: number, id: number, replyOffset: number, replyNonce: number, value: unknown, options: WaitOptions | undefined,
    async: boolean, encoded: () => void,
  ): boolean | Promise<boolean>;
}

