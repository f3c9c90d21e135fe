// mailbox-scenario.js — what the page (harness.js's `mailbox`) and its workers (worker.js's
// mbServe / mbRequest) agree on in the browser Mailbox scenario: the server's function, the
// check of a reply against its request, and the tag of each selective-receive message.

/** The server's function on a request { from, seq, v }: a RangeError when `boom` is set (the
 *  requester sees a RemoteError), else { from, seq, r } with r a mix of v. */
export function serveValue(x) {
  if (x.boom) throw new RangeError(`boom ${x.seq}`);
  return { from: x.from, seq: x.seq, r: replyOf(x.v) };
}

export const replyOf = (v) => (Math.imul(v, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;

/** Whether `reply` answers request `seq` of requester `from` with value `v`. */
export function replyMatches(reply, from, seq, v) {
  return !!reply && reply.from === from && reply.seq === seq && reply.r === replyOf(v);
}

/** The tag of message `seq` of producer `p` to the page's inbox: about a third "hi", seeded. */
export function tagOf(seed, p, seq) {
  return (Math.imul((seed + p * 7919 + seq * 104729) >>> 0, 0x85ebca6b) >>> 0) % 3 === 0 ? "hi" : "lo";
}

/** Request value `seq` of a requester (seeded, 31-bit). */
export function requestValue(seed, from, seq) {
  return Math.imul((seed ^ (from * 0x27d4eb2d) ^ (seq * 0x165667b1)) >>> 0, 0xc2b2ae35) >>> 1;
}
