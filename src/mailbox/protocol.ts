// protocol.ts — the Mailbox wire protocol, as types only (this file emits no code; envelope.ts
// and address.ts implement it).
//
// Every message of a mailbox is ONE message of its channel (raw codec), an envelope:
//
//   byte  0       u8   kind: 1 message | 2 request | 3 reply | 4 failure (an error reply)
//                           | 5 gone (the server's reader ended before answering; no payload)
//   byte  1       u8   0 (reserved)
//   bytes 2..3    u16  A, bytes of the reply address (request; else 0), at most 512
//   bytes 4..7    u32  correlation id (request, reply, failure, gone; else 0); little-endian
//   bytes 8..8+A       the reply address, UTF-8 (request only)
//   then               payload: codec(value)   message, request  (the mailbox's codec)
//                               codec(result)  reply             (the server mailbox's codec)
//                               JSON(ErrorWire) failure          (errors.ts: code, name,
//                                                                 message, stack, fields)
//
// A reader that ends (its thread exits) answers every request it still holds, saved or
// queued with `gone`, so the requester fails at once with PeerGoneError (Erlang's `noproc`).
//
// Correlation ids are chosen by the requester, unique per reply inbox among the requests
// waiting on it; a reply, failure or gone carries its request's id back unchanged.
//
// Reply addresses. A request names where its reply goes by an opaque string: the requester
// makes it, the server hands it to `resolveReplyAddress` (address.ts) and delivers the reply to
// what comes back; neither side reads its parts. So a transport that is not a region (a socket,
// a broker) adds a scheme and carries its own addresses in the same field. The format is
// `<scheme>:<rest>`; the one scheme today:
//
//   region:<region id>/<inbox>.<nonce>     a reply inbox in a region (all decimal): the region's
//                                          id (its header's RH_ID), the inbox's id in it, and
//                                          the inbox's nonce (MB_NONCE), which tells a live
//                                          inbox from a later one that reuses its id
//
// A server resolves `region:` addresses only in regions attached on its thread that hold a
// mailbox it uses (in practice: the region of the mailbox the request came through). An address
// that does not resolve (an unknown scheme or region, a freed inbox) drops the reply.
import type { ErrorWire } from "../errors";

/** 1 message, 2 request, 3 reply, 4 failure, 5 gone. */
export type EnvelopeKind = 1 | 2 | 3 | 4 | 5;

/** A reply address: `<scheme>:<rest>`, opaque outside its scheme's resolver. */
export type ReplyAddress = string;

/** The `region:` scheme's addresses. */
export type RegionReplyAddress = `region:${number}/${number}.${number}`;

/** An envelope as read from the channel (the payload not yet decoded). */
export interface Envelope {
  readonly kind: EnvelopeKind;
  readonly id: number;
  /** Where the reply goes (requests only). */
  readonly replyTo: ReplyAddress | undefined;
  readonly payload: Uint8Array;
}

/** A failure's payload, as JSON. */
export type FailureBody = ErrorWire;
