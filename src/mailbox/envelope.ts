// envelope.ts — the mailbox envelope as code (its format is protocol.ts): packing a message,
// request, reply, failure or gone into one channel message, reading one back, a failure's payload
// (an ErrorWire as JSON, rebuilt into a RemoteError on the requester's side), and a value's
// payload through the mailbox's codec.
import type { Codec } from "../codec/codec";
import { encodedBytes } from "../options";
import { CodecError, MessageTooLargeError, RemoteError, errorFromWire, errorToWire, type ErrorWire } from "../errors";
import type { Envelope, EnvelopeKind, ReplyAddress } from "./protocol";

export const K_MESSAGE = 1 satisfies EnvelopeKind;
export const K_REQUEST = 2 satisfies EnvelopeKind;
export const K_REPLY = 3 satisfies EnvelopeKind;
export const K_FAILURE = 4 satisfies EnvelopeKind;
export const K_GONE = 5 satisfies EnvelopeKind;

const ENV_KIND = 0;
const ENV_ADDRESS_LENGTH = 2;
const ENV_ID = 4;
/** Bytes before the reply address. */
export const ENV_FIXED = 8;
/** Longest reply address, in UTF-8 bytes. */
export const ENV_MAX_ADDRESS = 512;
/** Most bytes an envelope adds to a payload. */
export const ENV_MAX_OVERHEAD = ENV_FIXED + ENV_MAX_ADDRESS;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A reply address as the bytes an envelope carries (made once per inbox). */
export function addressBytes(address: ReplyAddress): Uint8Array {
  const bytes = utf8Encoder.encode(address);
  if (bytes.length > ENV_MAX_ADDRESS) throw new RangeError(`reply address longer than ${ENV_MAX_ADDRESS} bytes`);
  return bytes;
}

const NO_ADDRESS = new Uint8Array(0);

/** One envelope: `replyTo` only for a request (addressBytes). */
export function pack(kind: EnvelopeKind, id: number, payload: Uint8Array, replyTo: Uint8Array = NO_ADDRESS): Uint8Array {
  const out = new Uint8Array(ENV_FIXED + replyTo.length + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(ENV_KIND, kind);
  dv.setUint16(ENV_ADDRESS_LENGTH, replyTo.length, true);
  dv.setUint32(ENV_ID, id, true);
  out.set(replyTo, ENV_FIXED);
  out.set(payload, ENV_FIXED + replyTo.length);
  return out;
}

/** Reads an envelope; `payload` is a view of `bytes`. Throws CodecError for bytes that are not
 *  one (`owner` names the mailbox in the message). */
export function unpack(bytes: Uint8Array, what: string, owner: string): Envelope {
  if (bytes.length < ENV_FIXED) throw new CodecError(`${what} on ${owner}: a ${bytes.length}-byte message is not a mailbox envelope`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const kind = dv.getUint8(ENV_KIND);
  const a = dv.getUint16(ENV_ADDRESS_LENGTH, true);
  if (kind < K_MESSAGE || kind > K_GONE) throw new CodecError(`${what} on ${owner}: unknown envelope kind ${kind}`);
  if (ENV_FIXED + a > bytes.length || (a !== 0) !== (kind === K_REQUEST)) {
    throw new CodecError(`${what} on ${owner}: a malformed envelope (kind ${kind}, a ${a}-byte reply address in ${bytes.length} bytes)`);
  }
  return {
    kind: kind as EnvelopeKind,
    id: dv.getUint32(ENV_ID, true),
    replyTo: a === 0 ? undefined : utf8Decoder.decode(bytes.subarray(ENV_FIXED, ENV_FIXED + a)),
    payload: bytes.subarray(ENV_FIXED + a),
  };
}

/** A failure's payload: `error` (anything thrown) as JSON of its ErrorWire. */
export function encodeFailure(error: unknown): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(errorToWire(error)));
}

/** The RemoteError for a failure's payload: the original's name, message, stack and code, and
 *  the original rebuilt (its sabre class by code) as `cause`. */
export function decodeFailure(payload: Uint8Array, what: string): RemoteError {
  let body: ErrorWire;
  try {
    body = JSON.parse(utf8Decoder.decode(payload)) as ErrorWire;
    if (typeof body !== "object" || body === null) throw new TypeError("not an object");
  } catch {
    body = { __sabre: "error", name: "Error", message: "(undecodable error reply)" };
  }
  const name = String(body.name ?? "Error");
  const message = String(body.message ?? "");
  const code = typeof body.code === "string" ? body.code : undefined;
  return new RemoteError(`${what}: the server's handler threw ${name}: ${message}`, name, message, body.stack, code, {
    cause: errorFromWire({ ...body, name, message }),
  });
}

/** A value encoded by `codec` for a payload of at most `max` bytes (`what` leads the error). */
export function encodeValue<T>(codec: Codec<T>, value: unknown, max: number, what: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(value as T);
  } catch (error) {
    if (error instanceof CodecError) throw new CodecError(`${what}: ${error.message}`, { cause: error.cause });
    throw new CodecError(`${what}: the ${codec.name} codec could not encode the value: ${(error as Error).message}`, { cause: error });
  }
  bytes = encodedBytes(bytes, codec.name, what);
  if (bytes.length > max) {
    throw new MessageTooLargeError(`${what}: a ${bytes.length}-byte message is larger than maxMessageBytes ${max}; nothing was sent`);
  }
  return bytes;
}

/** A payload decoded by `codec` (a CodecError says it was consumed). */
export function decodeValue<V>(codec: Codec<V>, bytes: Uint8Array, what: string): V {
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw new CodecError(
      `${what}: a ${bytes.length}-byte value could not be decoded by the ${codec.name} codec (${(error as Error).message}); it was consumed`,
      { cause: error },
    );
  }
}
