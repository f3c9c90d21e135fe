// address.ts — reply addresses (format: protocol.ts) and their resolution, per thread.
//
// A requester puts its reply inbox's address in a request; the server calls
// resolveReplyAddress(address) and delivers the reply to the ReplyTarget it gets, or drops the
// reply when it gets none. Each scheme has one resolver, registered once per thread at load
// (mailbox.ts registers "region"); a later transport registers its own. Nothing here, and
// nothing that uses an address, computes with region offsets: only the scheme's resolver knows
// what the rest of the address means.
//
// The "region" scheme needs the regions this thread has attached, by id: mailboxes note theirs
// (noteRegion) when they are made or attached here. Regions are held weakly.
import type { Region } from "../region/region";
import type { Deadline } from "../wait/deadline";
import type { RegionReplyAddress, ReplyAddress } from "./protocol";

/** Where a reply is delivered. false: the target is gone or closed (the reply is dropped). */
export interface ReplyTarget {
  deliver(bytes: Uint8Array, deadline: Deadline, what: string): boolean;
  deliverAsync(bytes: Uint8Array, deadline: Deadline, what: string): Promise<boolean>;
}

export type ReplyResolver = (rest: string) => ReplyTarget | undefined;

const schemes = new Map<string, ReplyResolver>();

/** Registers the resolver of `scheme` (replacing an earlier one). */
export function registerReplyScheme(scheme: string, resolve: ReplyResolver): void {
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) throw new TypeError(`registerReplyScheme: "${scheme}" is not a scheme name`);
  schemes.set(scheme, resolve);
}

/** The target of `address`, or undefined (unknown scheme, or its resolver finds nothing). */
export function resolveReplyAddress(address: ReplyAddress | undefined): ReplyTarget | undefined {
  if (typeof address !== "string") return undefined;
  const colon = address.indexOf(":");
  if (colon <= 0) return undefined;
  const resolve = schemes.get(address.slice(0, colon));
  try {
    return resolve?.(address.slice(colon + 1));
  } catch {
    return undefined; // a malformed or stale address drops the reply, as an unknown one does
  }
}

// ---- the "region" scheme ---------------------------------------------------------------------

/** The address of the reply inbox `inbox` (its id in the region) with `nonce`. */
export function regionAddress(region: Region, inbox: number, nonce: number): RegionReplyAddress {
  return `region:${region.handle.id >>> 0}/${inbox}.${nonce >>> 0}`;
}

const REGION_REST = /^(\d{1,10})\/(\d{1,10})\.(\d{1,10})$/;

/** The parts of a "region" address's rest, with the region when it is attached here. */
export function parseRegionAddress(rest: string): { region: Region; inbox: number; nonce: number } | undefined {
  const m = REGION_REST.exec(rest);
  if (!m) return undefined;
  const region = regionById(Number(m[1]));
  return region ? { region, inbox: Number(m[2]), nonce: Number(m[3]) | 0 } : undefined;
}

const regions = new Map<number, WeakRef<Region>>();

/** Makes `region` resolvable in "region" addresses on this thread. */
export function noteRegion(region: Region): void {
  const id = region.handle.id >>> 0;
  if (regions.get(id)?.deref() !== region) regions.set(id, new WeakRef(region));
}

function regionById(id: number): Region | undefined {
  const region = regions.get(id)?.deref();
  if (!region) regions.delete(id);
  return region;
}
