// adapters.mjs — how the conformance skeleton (conformance.ts) drives each structure: one
// adapter per structure, written once in plain JavaScript because both sides need it — the
// test thread (conformance.ts) and the generic worker (test/fixtures/conformance-worker.mjs),
// which gets `{ kind, params }` in its command and calls `adapter(kind, params)` itself.
// Only the public API ('sabre') is used.
//
// An adapter presents a structure as one of three models:
//   "queue"   starts empty; `put(token)` adds one message, `take()` removes one and returns its
//             token; FIFO per producer. capacity = messages that fit with no taker (0 =
//             rendezvous: a put completes only when a taker takes it).
//   "permits" starts with `capacity` free permits; `take()` acquires one (waits while none is
//             free), `put()` releases one (never waits). Tokens are ignored.
//   "barrier" `take()` is a barrier wait (capacity = parties); there is no put and no try form.
// A token is a non-negative integer (producer << 20 | sequence). Each queue adapter encodes it
// into a value of its structure together with a check (so a torn or mixed-up message is an
// error, not a wrong token), and decodes and checks it on take.
//
// Every form of an operation returns the same shape, whatever the structure's own API says:
//   take.blocking(s, opts) -> token        take.async(s, opts) -> Promise<token>
//   take.try(s) -> { ok: true, value } | { ok: false, closed }    (never throws for "empty")
//   put.blocking(s, token, opts)           put.async(s, token, opts)
//   put.try(s, token) -> boolean                                  (never throws for "full")
// Where the structure's try form signals "closed and drained" by throwing ClosedError
// (RingBuffer.tryPop, ByteRing.tryRead) the adapter maps that to `{ ok: false, closed: true }`;
// every other error passes through. Nothing else is translated.
//
// Fields beyond the forms (all used by conformance.ts to pick the cases that apply):
//   close(s)?            the structure can be closed (puts then fail, takes drain then end)
//   length(s)?           messages buffered / permits free now (a snapshot; "nothing changed")
//   occupy(s)            permits: takes every permit as a holder OTHER than this thread's
//                        blocking and try forms, so that they see "none free" rather than a
//                        DeadlockError; returns the function that gives them back
//   producers/consumers  how many threads may put / take at once (ByteRing 1/1, Mailbox */1)
//   manyAsyncTakers      several async takes of ONE thread may wait at once (by contract)
//   fifoTakers           waiting takers are served in arrival order (by contract)
//   owned                permits: held by the taking thread; its own try again throws
//                        DeadlockError (documented: relocking is a deadlock, not "busy")
//   detach(s)?           returns what an attached object holds (RingBuffer's scratch block)
import { Barrier, ByteRing, Channel, ClosedError, Mailbox, Mutex, RingBuffer, RwLock, Semaphore, SpscRing } from "sabre";

const CHECK = 0x5a5a5a5a;
const bad = (what, detail) => new Error(`${what}: corrupt message (${detail})`);

/** Maps a try form that throws ClosedError once closed and drained to `{ ok: false, closed: true }`. */
function tryTakeOrClosed(take) {
  try {
    const v = take();
    return v === undefined ? { ok: false, closed: false } : { ok: true, value: v };
  } catch (error) {
    if (error instanceof ClosedError) return { ok: false, closed: true };
    throw error;
  }
}

/** A Channel's or Mailbox's try result with its value decoded. */
function mapTry(r, decode) {
  return r.ok ? { ok: true, value: decode(r.value) } : r;
}

// ---- token codecs --------------------------------------------------------------------------

/** 12 bytes: token, token ^ CHECK, token * 2654435761 (little-endian u32s). */
function tokenBytes(token, into = new Uint8Array(12)) {
  const v = new DataView(into.buffer, into.byteOffset, 12);
  v.setUint32(0, token, true);
  v.setUint32(4, (token ^ CHECK) >>> 0, true);
  v.setUint32(8, Math.imul(token, 2654435761) >>> 0, true);
  return into;
}
function bytesToken(bytes, what) {
  if (bytes.length < 12) throw bad(what, `${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const token = v.getUint32(0, true);
  if (v.getUint32(4, true) !== ((token ^ CHECK) >>> 0) || v.getUint32(8, true) !== (Math.imul(token, 2654435761) >>> 0)) {
    throw bad(what, `check words of token ${token}`);
  }
  return token;
}

/** Raw channel payload: the 12 check bytes, then token % 29 bytes of (token + i) & 255. */
function rawEncode(token) {
  const out = new Uint8Array(12 + (token % 29));
  tokenBytes(token, out.subarray(0, 12));
  for (let i = 12; i < out.length; i++) out[i] = (token + i) & 255;
  return out;
}
function rawDecode(bytes) {
  const token = bytesToken(bytes, "raw");
  if (bytes.length !== 12 + (token % 29)) throw bad("raw", `length ${bytes.length} for token ${token}`);
  for (let i = 12; i < bytes.length; i++) if (bytes[i] !== ((token + i) & 255)) throw bad("raw", `byte ${i} of token ${token}`);
  return token;
}

/** Structured channel value (msgpack): an object, a string and a nested array. */
function objectEncode(token) {
  return { token, check: (token ^ CHECK) >>> 0, tag: "t".repeat(token % 11), parts: [token % 7, [token % 3]] };
}
function objectDecode(v) {
  const ok = v && typeof v === "object" && v.check === ((v.token ^ CHECK) >>> 0) && v.tag === "t".repeat(v.token % 11) &&
    v.parts?.[0] === v.token % 7 && v.parts?.[1]?.[0] === v.token % 3;
  if (!ok) throw bad("msgpack", JSON.stringify(v));
  return v.token;
}

// ---- adapters --------------------------------------------------------------------------------

function ringAdapter({ capacity }) {
  return {
    model: "queue", capacity, producers: Infinity, consumers: Infinity, manyAsyncTakers: true, fifoTakers: false,
    create: (region) => RingBuffer.create(region, { capacity }),
    attach: (handle) => RingBuffer.from(handle),
    handle: (s) => s.handle,
    put: {
      blocking: (s, t, o) => s.push(t, o),
      try: (s, t) => s.tryPush(t),
      async: (s, t, o) => s.pushAsync(t, o),
    },
    take: {
      blocking: (s, o) => s.pop(o),
      try: (s) => tryTakeOrClosed(() => s.tryPop()),
      async: (s, o) => s.popAsync(o),
    },
    close: (s) => s.close(),
    length: (s) => s.length,
    detach: (s) => s.detach(),
    free: (s) => s.free(),
  };
}

function byteRingAdapter({ bytes }) {
  // 12-byte frames take 16 bytes of the ring (4 header + 12): bytes / 16 of them fit exactly
  const frame = (s, t) => tokenBytes(t);
  return {
    model: "queue", capacity: bytes / 16, producers: 1, consumers: 1, manyAsyncTakers: false, fifoTakers: false,
    create: (region) => ByteRing.create(region, { capacity: bytes }),
    attach: (handle) => ByteRing.from(handle),
    handle: (s) => s.handle,
    put: {
      blocking: (s, t, o) => s.write(frame(s, t), o),
      try: (s, t) => s.tryWrite(frame(s, t)),
      async: (s, t, o) => s.writeAsync(frame(s, t), o),
    },
    take: {
      blocking: (s, o) => bytesToken(s.read(o), "ByteRing.read"),
      try: (s) => {
        const r = tryTakeOrClosed(() => s.tryRead());
        return r.ok ? { ok: true, value: bytesToken(r.value, "ByteRing.tryRead") } : r;
      },
      async: async (s, o) => bytesToken(await s.readAsync(o), "ByteRing.readAsync"),
    },
    close: (s) => s.close(),
    length: (s) => s.usedBytes / 16,
    free: (s) => s.free(),
  };
}

/** SpscRing of `type` ("int32": the token itself; "float64": token + 0.5, checked on take),
 *  one element per call, or (`batch`) through the batch forms with one-element arrays. */
function spscAdapter({ capacity, type, batch }) {
  const Arr = type === "float64" ? Float64Array : Int32Array;
  const encode = type === "float64" ? (t) => t + 0.5 : (t) => t;
  const decode = (v, what) => {
    const t = type === "float64" ? v - 0.5 : v;
    if (!Number.isInteger(t) || t < 0) throw bad(what, String(v));
    return t;
  };
  const one = (t) => Arr.of(encode(t));
  const take1 = (f) => {
    const into = new Arr(1);
    return f(into) === 1 ? into[0] : undefined;
  };
  const put = batch
    ? {
      blocking: (s, t, o) => s.pushMany(one(t), o),
      try: (s, t) => s.tryPushMany(one(t)) === 1,
      async: (s, t, o) => s.pushManyAsync(one(t), o),
    }
    : {
      blocking: (s, t, o) => s.push(encode(t), o),
      try: (s, t) => s.tryPush(encode(t)),
      async: (s, t, o) => s.pushAsync(encode(t), o),
    };
  const take = batch
    ? {
      blocking: (s, o) => decode(take1((into) => s.popMany(into, o)), "SpscRing.popMany"),
      try: (s) => {
        const r = tryTakeOrClosed(() => take1((into) => s.tryPopMany(into)));
        return r.ok ? { ok: true, value: decode(r.value, "SpscRing.tryPopMany") } : r;
      },
      async: async (s, o) => {
        const into = new Arr(1);
        await s.popManyAsync(into, o);
        return decode(into[0], "SpscRing.popManyAsync");
      },
    }
    : {
      blocking: (s, o) => decode(s.pop(o), "SpscRing.pop"),
      try: (s) => {
        const r = tryTakeOrClosed(() => s.tryPop());
        return r.ok ? { ok: true, value: decode(r.value, "SpscRing.tryPop") } : r;
      },
      async: async (s, o) => decode(await s.popAsync(o), "SpscRing.popAsync"),
    };
  return {
    model: "queue", capacity, producers: 1, consumers: 1, manyAsyncTakers: false, fifoTakers: false,
    create: (region) => SpscRing.create(region, { capacity, type }),
    attach: (handle) => SpscRing.from(handle),
    handle: (s) => s.handle,
    put,
    take,
    close: (s) => s.close(),
    length: (s) => s.length,
    free: (s) => s.free(),
  };
}

/** A message endpoint (Channel, Mailbox) of class `Kind` made with `options`: send/trySend/
 *  sendAsync and the three receive calls named in `receive`, with values encoded and decoded
 *  around them; `roles` says how many may take at once and in which order. */
function endpointAdapter(Kind, options, receive, [encode, decode], roles) {
  const [recv, tryRecv, recvAsync] = receive;
  return {
    model: "queue", capacity: options.capacity, producers: Infinity, manyAsyncTakers: true, ...roles,
    create: (region) => Kind.create(region, options),
    attach: (handle) => Kind.from(handle),
    handle: (s) => s.handle,
    put: {
      blocking: (s, t, o) => s.send(encode(t), o),
      try: (s, t) => s.trySend(encode(t)),
      async: (s, t, o) => s.sendAsync(encode(t), o),
    },
    take: {
      blocking: (s, o) => decode(s[recv](o)),
      try: (s) => mapTry(s[tryRecv](), decode),
      async: async (s, o) => decode(await s[recvAsync](o)),
    },
    close: (s) => s.close(),
    length: (s) => s.len,
    free: (s) => s.free(),
  };
}

function channelAdapter({ capacity, codec, bufferBytes }) {
  return endpointAdapter(Channel, { capacity, codec, bufferBytes }, ["recv", "tryRecv", "recvAsync"],
    codec === "raw" ? [rawEncode, rawDecode] : [objectEncode, objectDecode], { consumers: Infinity, fifoTakers: false });
}

/** Mailbox: any number of senders, one reader; waiting receiveAsync calls are served oldest first. */
function mailboxAdapter({ capacity }) {
  const value = (token) => ({ token, check: (token ^ CHECK) >>> 0 });
  const decode = (v) => {
    if (!v || typeof v.token !== "number" || v.check !== ((v.token ^ CHECK) >>> 0)) throw bad("Mailbox", JSON.stringify(v));
    return v.token;
  };
  return endpointAdapter(Mailbox, { capacity, bufferBytes: 4096 }, ["receive", "tryReceive", "receiveAsync"], [value, decode],
    { consumers: 1, fifoTakers: true });
}

function semaphoreAdapter({ permits }) {
  return {
    model: "permits", capacity: permits, producers: Infinity, consumers: Infinity, manyAsyncTakers: true, fifoTakers: false,
    create: (region) => Semaphore.create(region, { initial: permits, max: permits }),
    attach: (handle) => Semaphore.from(handle),
    handle: (s) => s.handle,
    put: { blocking: (s) => s.release(), try: (s) => (s.release(), true), async: async (s) => s.release() },
    take: {
      blocking: (s, o) => s.acquire(1, o),
      try: (s) => (s.tryAcquire() ? { ok: true, value: 0 } : { ok: false, closed: false }),
      async: (s, o) => s.acquireAsync(1, o),
    },
    occupy: (s) => {
      if (!s.tryAcquire(permits)) throw new Error("Semaphore adapter: occupy found permits taken");
      return () => s.release(permits);
    },
    length: (s) => s.count,
    free: (s) => s.free(),
  };
}

/** A lock seen as one permit: `take` locks (guards kept on the object, newest last), `put`
 *  releases the newest guard. `calls` names the blocking, try and async lock calls; the lock
 *  is owned by the taking thread (`owned`). `occupy` holds it as someone else. */
function lockAdapter(Lock, [lock, tryLock, lockAsync], occupy) {
  const guarded = (l) => ({ lock: l, guards: [] });
  const release = (s) => {
    const g = s.guards.pop();
    if (!g) throw new Error(`${Lock.name} adapter: put without a held lock`);
    g.unlock();
  };
  const keep = (s, guard) => {
    if (!guard) return { ok: false, closed: false };
    s.guards.push(guard);
    return { ok: true, value: 0 };
  };
  return {
    model: "permits", capacity: 1, owned: true, producers: Infinity, consumers: Infinity, manyAsyncTakers: true, fifoTakers: false,
    create: (region) => guarded(Lock.create(region)),
    attach: (handle) => guarded(Lock.from(handle)),
    handle: (s) => s.lock.handle,
    put: { blocking: release, try: (s) => (release(s), true), async: async (s) => release(s) },
    take: {
      blocking: (s, o) => void s.guards.push(s.lock[lock](o)),
      try: (s) => keep(s, s.lock[tryLock]()),
      async: async (s, o) => void s.guards.push(await s.lock[lockAsync](o)),
    },
    occupy: (s) => occupy(s.lock),
    free: (s) => s.lock.free(),
  };
}

function mutexAdapter() {
  return {
    ...lockAdapter(Mutex, ["lock", "tryLock", "lockAsync"], async (m) => {
      // lockAsync holds under an agent of its own, so this thread's lock/tryLock see "held"
      const g = await m.lockAsync({ timeout: 0 });
      return () => g.unlock();
    }),
    length: (s) => (s.lock.locked ? 0 : 1),
  };
}

function rwLockWriteAdapter() {
  return {
    ...lockAdapter(RwLock, ["write", "tryWrite", "writeAsync"], (l) => {
      // a reader keeps every writer out, this thread's included, without owning the write lock
      const g = l.tryRead();
      if (!g) throw new Error("RwLock adapter: occupy found the lock taken");
      return () => g.unlock();
    }),
    length: (s) => (s.lock.writeLocked || s.lock.readers > 0 ? 0 : 1),
  };
}

function barrierAdapter({ parties }) {
  const leader = (r) => (r.leader ? 1 : 0);
  return {
    model: "barrier", capacity: parties, producers: 0, consumers: parties, manyAsyncTakers: true, fifoTakers: false,
    create: (region) => Barrier.create(region, parties),
    attach: (handle) => Barrier.from(handle),
    handle: (s) => s.handle,
    take: {
      blocking: (s, o) => leader(s.wait(o)),
      async: async (s, o) => leader(await s.waitAsync(o)),
    },
    length: (s) => s.arrived,
    free: (s) => s.free(),
  };
}

const kinds = {
  ring: ringAdapter,
  bytering: byteRingAdapter,
  spsc: spscAdapter,
  channel: channelAdapter,
  mailbox: mailboxAdapter,
  semaphore: semaphoreAdapter,
  mutex: mutexAdapter,
  "rwlock-write": rwLockWriteAdapter,
  barrier: barrierAdapter,
};

/** The adapter of structure `kind` made with `params` (both structured-cloneable: a worker
 *  gets the same two in its command and builds the same adapter). */
export function adapter(kind, params = {}) {
  const make = kinds[kind];
  if (!make) throw new Error(`conformance adapters: unknown kind ${kind}; known: ${Object.keys(kinds).join(", ")}`);
  return { kind, params, ...make(params) };
}
