// layout.ts — offsets and constants of every shared structure in a sabre region.
//
// This file compiles as AssemblyScript (into the core) AND as TypeScript (into the runtime):
// keep it to `export const NAME = <integer expression>;` lines, no types, no imports.
// A test asserts that every constant here equals the global the wasm module exports.
//
// Memory map of a region (one shared WebAssembly.Memory, initial = maximum pages):
//
//   0            STATIC_LIMIT   REGION_BASE             HEAP_START                 size
//   +------------------+-------------+---------------------+--------------------------+
//   | wasm static data | (reserved)  | region header (128) | allocator heap (blocks)  |
//   +------------------+-------------+---------------------+--------------------------+
//
// Static data (abort strings) is rewritten by every instantiation, so it must end below
// REGION_BASE (checked at instantiation). Every shared structure lives in the heap.

// ---- status codes returned by core exports (never negative) ----------------------------
export const OK = 0;             // done
export const TIMED_OUT = 1;      // the deadline passed first
export const WOULD_BLOCK = 2;    // try-*: busy / empty / full, nothing changed
export const CLOSED = 3;         // the structure was closed
export const NOT_OWNER = 4;      // unlock by a thread that does not hold the lock
export const OVERFLOW = 5;       // semaphore released past its maximum, nothing changed
export const NO_MEMORY = 6;      // the region has no free block large enough
export const BAD_ARGUMENT = 7;   // a size, capacity or offset that cannot be right
export const CORRUPT = 8;        // a header or block tag that does not match
export const WOULD_DEADLOCK = 9; // lock requested by the agent that already holds it
export const CANCELLED = 10;     // channel: the message being read was withdrawn by its sender
export const PEER_GONE = 11;     // channel: a peer thread died; marked by whoever watched it
export const CLAIMED = 12;       // channel fast path: a message is claimed and the recv lock held; read it the slow way
export const OWNER_DEAD = 13;    // mutex: acquired, and the previous holder died holding it (or a recoverer gave up without marking it consistent)

// ---- step exports: the one convention of every operation that may wait ------------------
// The core never parks for an operation a user waits on (only inside its short internal
// locks, alloc.ts). Such an operation is exported as a pair, run by a step machine of the
// runtime (src/wait/step-loop.ts) under its blocking, async and try drivers and the model:
//   X_step(obj, args..., parked)   parked = 0 on the first call, 1 after a park
//     -> not WOULD_BLOCK: done (success or a final status); the caller is not registered;
//     -> WOULD_BLOCK: the caller is registered as a waiter and parks on the structure's park
//        word while it holds the value the caller read BEFORE this call (a change the step
//        missed comes after that read: the park returns at once or is notified, since the
//        notifier sees the registration), then steps again with parked = 1;
//   X_cancel(obj, args...)         a registered caller gives up (deadline, abort) after one
//        last X_step(..., 1): deregisters; TIMED_OUT, or the step's success status when the
//        operation completed meanwhile (a barrier generation that passed).
// Exports that return an address (byte ring) return -WOULD_BLOCK / -status / -TIMED_OUT.
// The mutex is the one exception: mutex_lock_step parks on MUTEX_STATE == MUTEX_CONTENDED
// and has nothing to cancel (its state word is its registration).

// ---- results of wait32 (memory.atomic.wait32) -------------------------------------------
export const WAIT_WOKEN = 0;
export const WAIT_NOT_EQUAL = 1;
export const WAIT_TIMED_OUT = 2;

// ---- tuning -----------------------------------------------------------------------------
export const CACHE_LINE = 64;
export const SPIN_LIMIT = 1000;      // re-checks before a blocking op parks (a few microseconds)
export const MODEL_SPIN_LIMIT = 4;  // the same in the model build (test/model), see time.ts
export const SLOT_SPINS_PER_RECHECK = 8; // ring.ts: slot-seq loads per re-check of the spin budget (release)

// ---- region header ----------------------------------------------------------------------
export const STATIC_LIMIT = 3584;            // the core's static data must end below this (the model build, with every assert message, comes closest)
export const REGION_BASE = 4096;             // header starts here (page aligned)
export const REGION_MAGIC = 0x52424153;      // "SABR" little-endian
export const LAYOUT_VERSION = 4;
// offsets from REGION_BASE; writer: creator once, then read-only, unless noted
export const RH_MAGIC = 0;        // u32 REGION_MAGIC, written LAST by create (publishes header)
export const RH_VERSION = 4;      // u32 LAYOUT_VERSION
export const RH_SIZE = 8;         // u32 bytes of memory at create (must equal buffer length)
export const RH_ID = 12;          // u32 random non-zero id, ties handles to their region
export const RH_HEAP_START = 16;  // u32 first block address
export const RH_HEAP_END = 20;    // u32 one past the last block
export const RH_NEXT_AGENT = 24;  // u32 serial counter of untracked agents (party slot 0, party.ts); atomic add
export const RH_ALLOC_LOCK = 64;  // mutex (MUTEX_SIZE bytes) guarding the free list
export const RH_FREE_HEAD = 72;   // u32 address of the first free block, 0 = none; under lock
export const RH_FREE_BYTES = 76;  // u32 bytes in free blocks (block sizes); under lock, read racy
export const RH_USED_BLOCKS = 80; // u32 number of allocated blocks; under lock, read racy
export const RH_EVENT_SEQ = 84;   // i32 region-wide event word: bumped by channel state changes when RH_EVENT_WAITERS > 0 (select parks here)
export const RH_EVENT_WAITERS = 88; // i32 agents registered to park on RH_EVENT_SEQ
export const RH_POISONED = 92;   // i32 0, or 1 once a core call trapped on the region's shared state (region_poison; never cleared)
export const RH_MODEL_HEAP_HOLDERS = 124; // i32 model build only: agents inside the heap lock (must stay <= 1)
export const RH_PARTIES = 128;    // the party table (party.ts): PARTY_SLOTS entries of PARTY_SIZE bytes
export const REGION_HEADER_SIZE = 2176; // RH_PARTIES + PARTY_SLOTS * PARTY_SIZE

// ---- parties and agents (party.ts) ----------------------------------------------------------
// A party is one thread of one process attached to the region; an agent (a lock owner id) is
// (serial << PARTY_SLOT_BITS) | slot, so the party of every lock owner is known. Slot 0 is
// "untracked" (the table was full, or the id came from region_new_agent): never declared dead.
export const PARTY_SLOTS = 64;
export const PARTY_SIZE = 32;
export const PARTY_SLOT_BITS = 6;           // agent bits naming the slot
export const PARTY_SLOT_MASK = 63;
export const PARTY_SERIAL_MASK = 0xffffff;  // agent >>> PARTY_SLOT_BITS: 24-bit serial (wraps)
export const AGENT_MASK = 0x3fffffff;       // the agent id inside a MUTEX_OWNER word (MUTEX_OWNER_DIED above it)
export const PARTY_STATE = 0;     // i32 PARTY_FREE / _CLAIMING / _LIVE / _EXITED / _DIED; cas by joiners, set by death reports
export const PARTY_BORN = 4;      // i32 serial of the occupant's first agent: lower serials (mod 2^24) are earlier occupants'
export const PARTY_NEXT = 8;      // i32 next serial (atomic add by the occupant)
export const PARTY_PID = 12;      // i32 process id of the occupant (0: unknown, a browser)
export const PARTY_THREAD = 16;   // i32 thread id within that process (Node's threadId; random in browsers)
export const PARTY_START = 24;    // f64 start time of the process (sabre/node processStart; 0 unknown)
export const PARTY_FREE = 0;      // never claimed
export const PARTY_CLAIMING = 1;  // being claimed: occupant fields being written
export const PARTY_LIVE = 2;      // the occupant runs (as far as anyone reported)
export const PARTY_EXITED = 3;    // the occupant ended cleanly (its locks are recoverable; it is no peer-gone reason)
export const PARTY_DIED = 4;      // the occupant crashed or was killed
export const ROBUST_SLICE_MS = 50; // lock and mid-message waits re-check their holder's liveness at least this often

// ---- allocator blocks (alloc.ts) ----------------------------------------------------------
// A block of BLOCK size S (multiple of ALIGN) at address B, with B % ALIGN == ALIGN - 8:
//   B+0  u32 size | BLOCK_USED          B+4  u32 tag (KIND_* | TAG_MAGIC, 0 when free)
//   B+8  payload (ALIGN-aligned) ...   B+S-4 u32 footer = size | BLOCK_USED (boundary tag)
// Free blocks keep free-list links in their payload: B+8 next, B+12 prev (0 = none).
export const ALLOC_ALIGN = 64;
export const BLOCK_HEADER = 8;
export const BLOCK_FOOTER = 4;
export const BLOCK_OVERHEAD = 12;
export const BLOCK_MIN = 64;
export const BLOCK_USED = 1;
export const BLOCK_SIZE_MASK = -64;       // ~(ALLOC_ALIGN - 1)
export const BLOCK_TAG = 4;
export const FREE_NEXT = 8;
export const FREE_PREV = 12;
export const HEAP_START = REGION_BASE + REGION_HEADER_SIZE + ALLOC_ALIGN - BLOCK_HEADER;

// ---- kinds: the tag written in a block's header names what lives in it ---------------
export const TAG_MAGIC = 0x5ab00000;
export const KIND_RAW = 1;        // Region.alloc() bytes
export const KIND_MUTEX = 2;
export const KIND_SEMAPHORE = 3;
export const KIND_CONDVAR = 4;
export const KIND_BARRIER = 5;
export const KIND_RWLOCK = 6;
export const KIND_RING = 7;
export const KIND_BYTERING = 8;
export const KIND_CHANNEL = 9;
export const KIND_CODEC_TABLE = 10; // a channel codec's shared table (msgpack record structures, src/codec/structures.ts)

// ---- mutex (mutex.ts) ---------------------------------------------------------------------
export const MUTEX_STATE = 0;     // i32 MUTEX_UNLOCKED / MUTEX_LOCKED / MUTEX_CONTENDED
export const MUTEX_OWNER = 4;     // i32 agent id of the holder (0 when unlocked) | MUTEX_OWNER_DIED
export const MUTEX_SIZE = 8;
export const MUTEX_UNLOCKED = 0;
export const MUTEX_LOCKED = 1;    // held, nobody parked
export const MUTEX_CONTENDED = 2; // held, someone may be parked: unlock must notify
export const ANONYMOUS_AGENT = -1; // owner id any agent may use (no relock check): the allocator's
export const MUTEX_OWNER_DIED = 0x40000000; // MUTEX_OWNER bit: a holder died with the lock; cleared by mutex_consistent

// ---- counting semaphore (semaphore.ts) ----------------------------------------------------
export const SEM_COUNT = 0;       // i32 available permits, 0..SEM_MAX; the park word
export const SEM_WAITERS = 4;     // i32 agents registered to park on SEM_COUNT (any n)
export const SEM_MAX = 8;         // i32 maximum permits, >= 1 (read-only after init)
export const SEM_BULK_WAITERS = 12; // i32 registered agents that want n > 1 permits
export const SEM_SIZE = 16;

// ---- condition variable (condvar.ts) -----------------------------------------------------
export const CV_SEQ = 0;          // i32 sequence, bumped by every signal/broadcast; the park word
export const CV_WAITERS = 4;      // i32 agents registered to park on CV_SEQ
export const CV_SIZE = 8;

// ---- barrier (barrier.ts) ------------------------------------------------------------------
export const BARRIER_STATE = 0;      // i32 generation (high 16 bits) | arrived (low 16); park word
export const BARRIER_PARTIES = 4;    // i32 parties per generation, 1..BARRIER_PARTIES_MAX (read-only)
export const BARRIER_WAITERS = 8;    // i32 agents registered to park on BARRIER_STATE
export const BARRIER_SIZE = 12;
export const BARRIER_ARRIVED_MASK = 0xffff;        // BARRIER_STATE bits: arrivals this generation
export const BARRIER_GENERATION_ONE = 0x10000;     // BARRIER_STATE: +1 generation (wraps at 2^16)
export const BARRIER_GENERATION_SHIFT = 16;        // BARRIER_STATE >>> this = generation
export const BARRIER_PARTIES_MAX = 0xffff;
export const BARRIER_LEADER = 32;    // status of barrier_wait/_step: passed, and this caller arrived last
export const BARRIER_TICKET_GENERATION = 0xffff;   // barrier_arrive ticket bits: the generation joined
export const BARRIER_TICKET_LEADER = 0x10000;      // barrier_arrive ticket bit: this arrival was the last

// ---- readers-writer lock (rwlock.ts) -----------------------------------------------------
export const RW_STATE = 0;        // i32: readers (low 16 bits) | waiting writers (14 bits) | RW_WRITER
export const RW_OWNER = 4;        // i32 agent id of the writer holding the lock, 0 otherwise
export const RW_READ_SEQ = 8;     // i32 bumped when parked readers may enter; readers park here
export const RW_WRITE_SEQ = 12;   // i32 bumped when a parked writer may enter; writers park here
export const RW_READERS_WAITING = 16; // i32 readers registered to park on RW_READ_SEQ
export const RW_SIZE = 20;
export const RW_READERS_MASK = 0x0000ffff;          // RW_STATE bits: readers holding the lock
export const RW_WRITER_WAITING_ONE = 0x00010000;    // RW_STATE: +1 registered (waiting) writer
export const RW_WRITERS_WAITING_MASK = 0x3fff0000;  // RW_STATE bits: registered writers
export const RW_WRITER = 0x40000000;                // RW_STATE bit: a writer holds the lock

// ---- bounded MPMC ring of i32 slots (ring.ts; Vyukov, with crossbeam's re-checks) ---------
// Positions are 31-bit free-running counters (wrap at 2^31); bit 31 of RING_ENQ is the
// closed mark, so "closed" and "the last claimed push" are read in one atomic snapshot.
export const RING_ENQ = 0;          // i32 enqueue position | RING_CLOSED_BIT; own line
export const RING_DEQ = 64;         // i32 dequeue position; own line
export const RING_CAPACITY = 128;   // i32 slots, power of two (read-only after init)
export const RING_PUSH_WAITERS = 136; // i32 flag: 1 once a pusher may park until a slot frees (pushers raise; wakers clear)
export const RING_POP_WAITERS = 140;  // i32 flag: 1 once a popper may park until an item arrives (poppers raise; wakers clear)
export const RING_PUSH_SEQ = 144;   // i32 park word of pushers: bumped by pops/close when PUSH_WAITERS is raised
export const RING_POP_SEQ = 148;    // i32 park word of poppers: bumped by pushes/close when POP_WAITERS is raised
export const RING_SLOTS = 192;      // slot i at RING_SLOTS + i*RING_SLOT_SIZE: [seq i32][value i32]; position -> slot: ring.ts slotOf
export const RING_SLOT_SIZE = 8;
export const RING_SLOT_SEQ = 0;
export const RING_SLOT_VALUE = 4;
export const RING_SPREAD = 16;            // consecutive positions sit 16 slots (128 bytes) apart (ring.ts slotOf)
export const RING_CLOSED_BIT = 1 << 31;   // in RING_ENQ: set once by ring_close, never cleared
export const RING_POS_MASK = 0x7fffffff;  // position bits of RING_ENQ / RING_DEQ / slot seqs
export const RING_MIN_CAPACITY = 2;
export const RING_MAX_CAPACITY = 1 << 26; // 512 MiB of slots; keeps sizes far inside i32
export const RING_POP_STATUS = 2147483648.0; // f64: a pop result >= this is RING_POP_STATUS + status; below it, the value (ring.ts)

// ---- SPSC byte ring of length-prefixed frames (bytering.ts; rigtorp, ringbuf.js) ----------
// Indices are 31-bit free-running byte counters (wrap at 2^31); bit 31 of BR_WRITE is the
// closed mark. Producer line: BR_WRITE..BR_RESERVE; consumer line: BR_READ..BR_WRITE_CACHE.
export const BR_WRITE = 0;          // i32 published write index | BR_CLOSED_BIT (producer cas; close or)
export const BR_READ_CACHE = 4;     // i32 producer-private cache of BR_READ
export const BR_RESERVE = 8;        // i32 producer-private end of reserved, unpublished frames
export const BR_READ = 64;          // i32 consumer's published read index (free-running)
export const BR_WRITE_CACHE = 68;   // i32 consumer-private cache of BR_WRITE (position bits)
export const BR_CAPACITY = 128;     // i32 data bytes, power of two (read-only after init)
export const BR_DATA_WAITERS = 132; // i32 flag: 1 once a consumer may park on BR_DATA_SEQ (consumers raise; wakers clear: wake.ts)
export const BR_SPACE_WAITERS = 136; // i32 flag: 1 once a producer may park on BR_SPACE_SEQ (producers raise; wakers clear)
export const BR_DATA_SEQ = 140;     // i32 park word for data: bumped by commit/close when waited on
export const BR_SPACE_SEQ = 144;    // i32 park word for space: bumped by release/close when waited on
export const BR_DATA = 192;         // capacity bytes of data
export const BR_FRAME_HEADER = 4;   // i32 frame length before each frame; frames padded to 4 bytes
export const BR_FRAME_ALIGN = 4;
export const BR_WRAP = -1;          // header value of a wrap marker: the frame continues at offset 0
export const BR_CLOSED_BIT = 1 << 31;
export const BR_POS_MASK = 0x7fffffff;
export const BR_MIN_CAPACITY = 16;
export const BR_MAX_CAPACITY = 1 << 29;

// ---- MPMC channel of messages over a byte ring (channel.ts) --------------------------------
// Four cache lines, so that a sender and a receiver on two cores do not bounce one line on
// every message: the send side's words, the recv side's words, COUNT (both), and words that
// change rarely (state, waiter counts, the codec table).
export const CH_SEND_LOCK = 0;      // mutex (MUTEX_SIZE) serialising senders, held for a whole message
export const CH_SEND_PENDING = 8;   // i32 what the send-lock holder is publishing: 0 nothing, n > 0 a first fragment beginning n messages, CH_PENDING_CONT another fragment; send lock (see ch_publish)
export const CH_SEND_SEQ = 12;      // i32 park word of senders: bumped by claims and close
export const CH_SEND_OPEN = 16;     // i32 payload address of the FIRST of a message partly published, 0 none; send lock (plain)
export const CH_SEND_LEFT = 20;     // i32 bytes of that message not yet published; send lock (plain)
export const CH_SEND_TICKET = 24;   // i32 CH_SENT once the pending first fragment is counted; send lock (plain, written before CH_SEND_PENDING)
export const CH_PENDING_CONT = -1;  // CH_SEND_PENDING: a whole fragment that begins no message (CONT, CANCEL) is being committed
export const CH_PENDING_WITHDRAW = -2; // CH_SEND_PENDING: the message whose FIRST is at CH_SEND_OPEN is being withdrawn (ch_withdraw)
export const CH_RECV_LOCK = 64;     // mutex (MUTEX_SIZE) serialising receivers, held for a whole message
export const CH_TAKEN = 72;         // i32 free-running count of claims; recv lock
export const CH_RECV_SEQ = 76;      // i32 park word of receivers: bumped by message starts and close
export const CH_RECV_OPEN = 80;     // i32 the recv-lock holder's message: 0 none, CH_RECV_CLAIMED, or > 0 bytes still to read; recv lock (plain)
export const CH_RECV_CLAIMED = -1;  // CH_RECV_OPEN: claimed, its first fragment not consumed (re-delivered if the holder dies)
export const CH_RECV_MARK = 84;     // i32 BR_READ where the holder began consuming its claimed message's frame, -1 none; recv lock (plain, see ch_recover_recv)
export const CH_RECV_MARK_NEXT = 88; // i32 that frame's batch cursor (CH_BATCH_NEXT) then, -1 a plain frame; recv lock (plain)
export const CH_COUNT = 128;        // i32 messages begun (counted) and not yet claimed: the low half of the i64 word COUNT|SENT
export const CH_SENT = 132;         // i32 free-running count of messages begun (the sender's ticket): the high half of that word; sender
export const CH_COUNT_ONE = 1;      // i64 delta on the COUNT|SENT word: one message claimed (COUNT) ...
export const CH_SENT_SHIFT = 32;    // ... and CH_COUNT_ONE | 1 << CH_SENT_SHIFT: one message begun (COUNT and SENT in one step)
export const CH_STATE = 192;        // i32 CH_CLOSED | CH_PEER_GONE bits; set once, never cleared
export const CH_CAPACITY = 196;     // i32 messages that may be buffered, 0 = rendezvous (read-only)
export const CH_SEND_WAITERS = 200; // i32 flag: 1 once a sender may park on CH_SEND_SEQ (senders raise; wakers clear: wake.ts)
export const CH_RECV_WAITERS = 204; // i32 flag: 1 once a receiver may park on CH_RECV_SEQ (receivers raise; wakers clear)
export const CH_CODEC_LOCK = 208;   // mutex (MUTEX_SIZE) guarding CH_CODEC_TABLE and the table it points to
export const CH_CODEC_TABLE = 216;  // i32 offset of the codec's shared table block (0 = none); under CH_CODEC_LOCK
export const CH_SENDERS = 220;      // i32 x2: bit s of party slot s that held the send lock (or); 64 slots
export const CH_RECEIVERS = 228;    // i32 x2: bit s of party slot s that held the recv lock (or)
export const CH_GONE = 236;         // i32 CH_PARTY_DIED | CH_RECEIVERS_GONE | CH_HOSTED (or; never cleared)
export const CH_ATTACHED = 240;     // i32 x2: bit s of party slot s that attached the channel (ch_attach; or)
export const CH_PARTY_DIED = 1;     // CH_GONE bit: a party of the channel crashed: waits evaluate the side rules (channel.ts)
export const CH_RECEIVERS_GONE = 2; // CH_GONE bit: the mailbox's reader ended: senders get PEER_GONE
export const CH_HOSTED = 4;         // CH_GONE bit: a worker host passed the channel to a party it started (ch_host_attach): the side rules apply
export const CH_RING = 256;         // the byte ring (bytering.ts) of fragments
export const CH_SPIN_MS = 0.25;     // a claim spins at most this long (ms) before it parks; the region parker's
                                    // spinner (src/wait/spin.ts, env.spin) ends it sooner, at its adaptive budget
export const CH_CLOSED = 1;         // CH_STATE bit
export const CH_PEER_GONE = 2;      // CH_STATE bit
export const CH_MAX_CAPACITY = 0x3fffffff;
// every fragment (ring frame) starts with an 8-byte header
// A fragment: ring frame payload [kind][total][len] then len bytes padded to 8, so that every
// channel frame takes a multiple of 8 ring bytes and every payload is 8-byte aligned (V8 copies
// to and from shared memory word by word only when both sides are 8-aligned: 5x faster).
export const CH_FRAG_HEADER = 12;
export const CH_FRAG_KIND = 0;      // i32 CH_FIRST (| CH_WITHDRAWN) / CH_CONT / CH_CANCEL
export const CH_FRAG_TOTAL = 4;     // i32 FIRST: the message's total length in bytes
export const CH_FRAG_LEN = 8;       // i32 this fragment's payload bytes (the frame is padded past them)
export const CH_FRAG_ALIGN = 8;
export const CH_FIRST = 1;          // first fragment of a message (carries the total)
export const CH_CONT = 2;           // a following fragment
export const CH_CANCEL = 3;         // the sender gave up after a receiver claimed: drop the partial
export const CH_WITHDRAWN = 0x100;  // FIRST | this: the sender withdrew the message before any claim
export const CH_BATCH = 0x200;      // FIRST | this: a batch frame, several messages in one fragment:
// payload [count][next][nextOff][0] then `count` records [len i32][len bytes padded to 4];
// `next` / `nextOff` (the receiver's cursor, under the recv lock): the next record to read and
// its byte offset from the first record. Each record is one message (claimed one by one).
export const CH_BATCH_HEADER = 16;  // bytes of [count][next][nextOff][0]
export const CH_BATCH_COUNT = 0;
export const CH_BATCH_NEXT = 4;
export const CH_BATCH_NEXT_OFF = 8;
export const CH_BATCH_RECORD = 4;   // a record's length word before its bytes

// ---- mailbox header (src/mailbox/header.ts) --------------------------------------------------
// A Mailbox is a Channel plus this header block (kind KIND_MAILBOX). The runtime alone reads
// and writes it (the core only allocates it and checks its kind); the words live here so that
// the layout test and the region's kind checks cover them.
export const KIND_MAILBOX = 11;
export const MB_MAGIC = 0;        // u32 MB_MAGIC_VALUE; creator stores it LAST (publishes the header), free clears it FIRST
export const MB_NONCE = 4;        // i32 random non-zero; creator once, zeroed by free: tells this mailbox from a later one at the same block
export const MB_CHANNEL = 8;      // u32 offset of the mailbox's Channel; creator once
export const MB_MAX_MSG = 12;     // u32 the channel's maxMessageBytes (envelope included); creator once
export const MB_READER = 16;      // i32 agent id of the thread that reads the mailbox (0 before any receive); the reading thread, on a receive that finds another id
export const MB_STATE = 20;       // i32 MB_READER_GONE bit; set once (the reader's exit hook, or a crash watcher), never cleared
export const MB_SIZE = 64;
export const MB_MAGIC_VALUE = 0x584f424d; // "MBOX" little-endian
export const MB_READER_GONE = 1;  // MB_STATE bit: the thread reading the mailbox has ended (any exit code)

// ---- SPSC ring of fixed-size elements (spsc.ts; rigtorp SPSCQueue, ringbuf.js) --------------
// Positions are 31-bit free-running element counters (wrap at 2^31); bit 31 of SPSC_TAIL is
// the closed mark. Producer line: SPSC_TAIL..SPSC_HEAD_CACHE; consumer line: SPSC_HEAD..SPSC_POP_STATUS.
export const KIND_SPSC = 12;
export const SPSC_TAIL = 0;           // i32 published elements (position) | SPSC_CLOSED_BIT (producer cas; close or)
export const SPSC_HEAD_CACHE = 4;     // i32 producer-private cache of SPSC_HEAD
export const SPSC_HEAD = 64;          // i32 consumed elements (position); consumer store
export const SPSC_TAIL_CACHE = 68;    // i32 consumer-private cache of SPSC_TAIL (position bits)
export const SPSC_POP_STATUS = 72;    // i32 consumer-private: status of the last spsc_try_pop (OK / WOULD_BLOCK / CLOSED)
export const SPSC_CAPACITY = 128;     // i32 elements, power of two (read-only after init)
export const SPSC_TYPE = 132;         // i32 element type SPSC_INT8 .. SPSC_FLOAT64 (read-only after init)
export const SPSC_DATA_WAITING = 136; // i32 flag: 1 once a consumer may park on SPSC_DATA_SEQ (consumer raises; the waker clears)
export const SPSC_SPACE_WAITING = 140; // i32 flag: 1 once a producer may park on SPSC_SPACE_SEQ (producer raises; the waker clears)
export const SPSC_DATA_SEQ = 144;     // i32 park word for data: bumped by commit/push/close when the flag is raised
export const SPSC_SPACE_SEQ = 148;    // i32 park word for space: bumped by release/pop/close when the flag is raised
export const SPSC_DATA = 192;         // capacity elements; position p at SPSC_DATA + (p & (capacity-1)) * size
export const SPSC_CLOSED_BIT = 1 << 31;
export const SPSC_POS_MASK = 0x7fffffff;
export const SPSC_MIN_CAPACITY = 2;
export const SPSC_MAX_CAPACITY = 1 << 26; // 512 MiB of float64 elements; keeps sizes inside i32
export const SPSC_INT8 = 1;           // SPSC_TYPE values: the element types (size 1, 1, 2, 2, 4, 4, 4, 8 bytes)
export const SPSC_UINT8 = 2;
export const SPSC_INT16 = 3;
export const SPSC_UINT16 = 4;
export const SPSC_INT32 = 5;
export const SPSC_UINT32 = 6;
export const SPSC_FLOAT32 = 7;
export const SPSC_FLOAT64 = 8;
