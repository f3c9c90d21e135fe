// protocol.ts — the wire protocols of sabre's RPC, as types only (this file emits no code;
// link.ts, comlink-endpoint.ts, sync-call.ts and remote.ts implement them).
//
// A link (link.ts) is two Channels in one region, one per direction, each with the msgpack
// codec: `tx` of one end is `rx` of the other. Every value below is ONE channel message.
//
// 1. comlink over a link (comlink-endpoint.ts). Each `postMessage(message, transfer)` of
//    comlink is one message on `tx`:
//      message          comlink's own message object (GET/SET/APPLY/CONSTRUCT/ENDPOINT/RELEASE
//                       requests, RAW/HANDLER responses), as comlink made it, through the codec
//      SideMarker       a number n >= 0: "the next message is the n-th message of the side
//                       port" (a message with a non-empty transfer list: MessagePorts of
//                       comlink's proxy(), transferred buffers, which shared memory cannot
//                       carry). The marker keeps the link's order: the receiver dispatches
//                       nothing after it until side message n arrived.
//      NoSide           the number -1: "a side marker came, and this end has no `via`": the
//                       message is lost, and the end that sent it fails its pending requests
//                       with TransferUnavailableError (both ends need `via`).
//    The side port is a MessagePort of a MessageChannel the sending end makes on its first
//    transfer and posts ONCE through the end's `via` (a Worker, parentPort, self or a
//    MessagePort reaching the other side) as a SideAnnounce. Each end has its own side port
//    for what it sends. Without `via` (between processes there is none) a transfer fails with
//    TransferUnavailableError: a request at its postMessage (the comlink call rejects), a
//    response as a comlink "throw" response carrying that error (the remote call rejects).
//    When the link's peer is gone (its channels peer-gone or closed), the end answers every
//    comlink request it sent and saw no response to with a "throw" response carrying
//    PeerGoneError, so no comlink call waits forever.
//
// 2. synchronous calls (sync-call.ts), caller end -> server end:
//      SyncRequest      [id, name, args]       id: u32 > 0 chosen by the caller, increasing
//      SyncResponse     [id, 0, value]          the function's value (awaited)
//                       [id, 1, ErrorWire]      what it threw or rejected with
//    One call is in flight per caller end (the caller blocks); a response whose id is not the
//    call's (the late answer of a call that timed out) is dropped.
//
// 3. sabre-native RPC over a Mailbox (remote.ts): a Mailbox request whose value is an
//    RpcRequest; the reply is the method's value, a failure its error (Mailbox protocol).
import type { ErrorWire } from "../errors";

/** A side-port marker on a comlink link, or -1 (NoSide; see the header). */
export type SideMarker = number;

/** What a link end posts once through its `via` to hand over its side port. */
export interface SideAnnounce {
  /** The link's id (both ends know it): a `via` may carry several links and other messages. */
  readonly __sabreRpcSide: string;
  /** The receiving end of the sender's side channel (a MessagePort). */
  readonly port: object;
}

/** A synchronous call: correlation id, the function's name, its arguments. */
export type SyncRequest = [id: number, name: string, args: unknown[]];

/** The answer to a SyncRequest. */
export type SyncResponse = [id: number, ok: 0, value: unknown] | [id: number, failed: 1, error: ErrorWire];

/** A native RPC request: the dotted path of the method on the exposed object, its arguments. */
export type RpcRequest = [path: string, args: unknown[]];
