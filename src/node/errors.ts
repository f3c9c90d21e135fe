// node/errors.ts — the errors only 'sabre/node' throws (cross-process features). Each has a
// literal `name` (minifiers rename classes) and a stable string `code`, so it is recognised
// after crossing a thread or a process; never match on message text.
import { SabreError } from "../errors";

/** The native addon (native/, built by `npm install`) is missing or failed to load, so this
 *  cross-process call cannot run. Everything between threads still works. */
export class NativeAddonMissingError extends SabreError {
  override readonly name = "NativeAddonMissingError" as const;
  override readonly code = "ERR_SABRE_NATIVE_MISSING" as const;
}

/** A named region's file is not safe to map: not a regular file, owned by another user, or
 *  readable or writable by group or others (sabre creates them 0600). Nothing was mapped. */
export class RegionPermissionError extends SabreError {
  override readonly name = "RegionPermissionError" as const;
  override readonly code = "ERR_SABRE_REGION_PERMISSION" as const;
}

/** createRegion({ name }) found a region of that name already; nothing was changed. */
export class RegionExistsError extends SabreError {
  override readonly name = "RegionExistsError" as const;
  override readonly code = "ERR_SABRE_REGION_EXISTS" as const;
}

/** openRegion(name) found no region of that name. */
export class RegionNotFoundError extends SabreError {
  override readonly name = "RegionNotFoundError" as const;
  override readonly code = "ERR_SABRE_REGION_NOT_FOUND" as const;
}

/** A memory-mapped file (mapFile) changed size under its mapping: data read since may be
 *  wrong (pages past a new end read as zeros). Close the mapping and map the file again. */
export class MappedFileChangedError extends SabreError {
  override readonly name = "MappedFileChangedError" as const;
  override readonly code = "ERR_SABRE_MAPPED_FILE_CHANGED" as const;
}
