// header.ts — a mailbox's shared header block (layout: the MB_* words of assembly/layout.ts,
// kind KIND_MAILBOX), the one place the mailbox touches shared words outside its channel.
//
//   +0  MB_MAGIC    "MBOX"; written last by create (publishes), cleared first by free
//   +4  MB_NONCE    random non-zero; tells a live mailbox from a later one at the same block
//   +8  MB_CHANNEL  offset of the channel                     (creator, once)
//   +12 MB_MAX_MSG  the channel's maxMessageBytes              (creator, once)
//   +16 MB_READER   agent id of the thread reading it          (the reading thread)
//   +20 MB_STATE    MB_READER_GONE                             (the reader's exit, a watcher)
//
// Invariants: a header is live (headerLive) iff its block is a live KIND_MAILBOX block whose
// magic is set and whose nonce is the one asked for; MB_STATE bits are set once, never cleared;
// MB_READER may be stale (the reader it names may have handed the mailbox on), and only the
// reader's own thread compares it with its agent id.
import * as L from "../../assembly/layout";
import type { Region } from "../region/region";

const at = (block: number, word: number) => (block + word) >> 2;

export function randomNonce(): number {
  let n = 0;
  while (n === 0) n = (Math.random() * 0x100000000) | 0;
  return n;
}

/** Allocates a header block for a mailbox (not yet published). */
export function allocHeader(region: Region, what: string): number {
  return region.allocate(L.KIND_MAILBOX, L.MB_SIZE, what);
}

/** Writes the header and publishes it (magic last); returns its nonce. */
export function publishHeader(region: Region, block: number, channel: number, maxMessageBytes: number): number {
  const w = region.words;
  const nonce = randomNonce();
  Atomics.store(w, at(block, L.MB_NONCE), nonce);
  Atomics.store(w, at(block, L.MB_CHANNEL), channel);
  Atomics.store(w, at(block, L.MB_MAX_MSG), maxMessageBytes);
  Atomics.store(w, at(block, L.MB_MAGIC), L.MB_MAGIC_VALUE); // publish: the header is complete
  return nonce;
}

/** Whether `block` holds a live mailbox header with `nonce`. */
export function headerLive(region: Region, block: number, nonce: number): boolean {
  if (!Number.isInteger(block) || block <= 0 || block % 4 !== 0 || block + L.MB_SIZE > region.byteLength || nonce === 0) return false;
  if (region.core.region_block_kind(block) !== L.KIND_MAILBOX) return false;
  const w = region.words;
  return Atomics.load(w, at(block, L.MB_MAGIC)) === L.MB_MAGIC_VALUE && Atomics.load(w, at(block, L.MB_NONCE)) === nonce;
}

/** The channel a live header names. */
export function headerChannel(region: Region, block: number): { offset: number; maxMessageBytes: number } {
  const w = region.words;
  return { offset: Atomics.load(w, at(block, L.MB_CHANNEL)), maxMessageBytes: Atomics.load(w, at(block, L.MB_MAX_MSG)) };
}

/** Records this thread as the mailbox's reader (one load when it already is). */
export function noteReader(region: Region, block: number): void {
  const i = at(block, L.MB_READER);
  if (Atomics.load(region.words, i) !== region.agent) Atomics.store(region.words, i, region.agent);
}

/** Whether this thread is the reader the header names. */
export function isReader(region: Region, block: number): boolean {
  return Atomics.load(region.words, at(block, L.MB_READER)) === region.agent;
}

/** Sets MB_READER_GONE. */
export function setReaderGone(region: Region, block: number): void {
  Atomics.or(region.words, at(block, L.MB_STATE), L.MB_READER_GONE);
}

/** Whether MB_READER_GONE is set. */
export function readerGone(region: Region, block: number): boolean {
  return (Atomics.load(region.words, at(block, L.MB_STATE)) & L.MB_READER_GONE) !== 0;
}

/** Unpublishes the header (magic first: replies to it become no-ops) and frees its block. */
export function freeHeader(region: Region, block: number, what: string): void {
  Atomics.store(region.words, at(block, L.MB_MAGIC), 0);
  Atomics.store(region.words, at(block, L.MB_NONCE), 0);
  region.release(L.KIND_MAILBOX, block, what);
}
