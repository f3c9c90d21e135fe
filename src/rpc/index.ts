// rpc/index.ts — re-exports of the RPC layer: links, the comlink endpoint, synchronous calls,
// sabre-native RPC.
export { createLink, freeLink, type Link, type LinkEnd, type LinkOptions } from "./link";
export {
  ComlinkEndpoint, comlinkEndpoint, type ComlinkEndpointOptions, type LinkListener, type LinkMessageEvent, type PostTarget,
} from "./comlink-endpoint";
export { syncFunction, serveSync, type SyncFunction, type SyncFunctionOptions, type ServeSyncOptions } from "./sync-call";
export { expose, wrap, wrapSync, type Remote, type SyncRemote, type ExposeOptions, type WrapOptions } from "./remote";
export type { SideAnnounce, SideMarker, SyncRequest, SyncResponse, RpcRequest } from "./protocol";
