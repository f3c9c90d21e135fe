// structures.ts — a channel's shared table of msgpack record structures, so that every sender
// and receiver of one channel, on any thread, agrees on record ids without a message carrying
// its own record definitions.
//
// msgpackr's "shared structures" (the mechanism lmdb-js uses for a database): a Packr given
// `getStructures`/`saveStructures` writes an object whose key list it has seen before as a record
// id plus values, and adds a new key list to a shared table (up to msgpackr's
// maxSharedStructures) before the message that uses it is returned. The receiver's Packr looks
// an unknown id up with getStructures. Messages get smaller and pack/unpack 2–4x faster than
// with a record definition in every message (measured in bench/, scenario "channel").
//
// Layout: the channel header holds CH_CODEC_LOCK (a core mutex) and CH_CODEC_TABLE (the offset
// of a KIND_CODEC_TABLE block, 0 = empty table). A table block is
//
//   +0  i32 byte length n of the JSON that follows      written once, before the block is
//   +4  n bytes: JSON of the key lists, [["id","name"],…] published in CH_CODEC_TABLE
//
// Roles: any agent may load or save, always under CH_CODEC_LOCK. A save writes a NEW block and
// swaps CH_CODEC_TABLE, then frees the old one (readers copy a block out under the same lock,
// so none is reading it).
//
// Invariants:
//   - the table only grows, and entry i never changes once written: a receiver whose copy is a
//     prefix of the table decodes every message sent so far;
//   - a sender's structure is in the table before the message that uses it is sent, and the
//     channel's publish/claim order carries it to the receiver that claims the message;
//   - a save whose view of the table is stale is refused (msgpackr then merges the table and
//     packs again), so two senders never give one id two meanings.
import * as L from "../../assembly/layout";
import { CodecError, throwStatus } from "../errors";
import type { Region } from "../region/region";
import { blockingAllowed } from "../wait/wait";
import { copyOut } from "../region/copy";

/** What msgpackr's Packr needs from a shared structure store. */
export interface StructureStore {
  load(): string[][];
  save(structures: ArrayLike<unknown> & Iterable<unknown>, isCompatible: (existing: string[][]) => boolean): boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The structure table of the channel at `channel` in `region`. */
export function channelStructures(region: Region, channel: number, name: string): StructureStore {
  const lockAt = channel + L.CH_CODEC_LOCK;
  const tableWord = (channel + L.CH_CODEC_TABLE) >> 2;
  const bytes = () => new Uint8Array(region.memory.buffer);
  const lock = () => {
    // held for microseconds by a loader or saver: park where blocking is allowed, else spin
    for (;;) {
      const s = blockingAllowed
        ? region.core.mutex_lock(lockAt, region.agent, -1)
        : region.core.mutex_try_lock(lockAt, region.agent);
      if (s === L.OK) return;
      if (s !== L.WOULD_BLOCK) throwStatus(s, `codec table of ${name}`);
    }
  };
  const unlock = () => region.core.mutex_unlock(lockAt, region.agent);
  const read = (): string[][] => {
    const at = Atomics.load(region.words, tableWord);
    if (at === 0) return [];
    const n = region.words[at >> 2];
    // copy out: TextDecoder refuses views of shared memory in browsers
    return JSON.parse(decoder.decode(copyOut(bytes(), at + 4, at + 4 + n))) as string[][];
  };
  return {
    load() {
      lock();
      try {
        return read();
      } finally {
        unlock();
      }
    },
    save(structures, isCompatible) {
      lock();
      try {
        const existing = read();
        if (!isCompatible(existing)) return false;
        const json = encoder.encode(JSON.stringify(Array.from(structures, (s) => Array.from(s as ArrayLike<string>))));
        let at: number;
        try {
          at = region.allocate(L.KIND_CODEC_TABLE, 4 + json.length, `codec table of ${name}`);
        } catch (error) {
          throw new CodecError(`${name}: no room in the region for the channel's record table (${json.length} bytes): ${(error as Error).message}`, { cause: error });
        }
        region.words[at >> 2] = json.length;
        bytes().set(json, at + 4);
        const old = Atomics.exchange(region.words, tableWord, at);
        if (old !== 0) region.release(L.KIND_CODEC_TABLE, old, `codec table of ${name}`);
        return true;
      } finally {
        unlock();
      }
    },
  };
}

/** Frees the table block of the channel at `channel` (when the channel itself is freed). */
export function freeChannelStructures(region: Region, channel: number): void {
  const at = Atomics.exchange(region.words, (channel + L.CH_CODEC_TABLE) >> 2, 0);
  if (at !== 0) region.release(L.KIND_CODEC_TABLE, at, "Channel.free");
}
