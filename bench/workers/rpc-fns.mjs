// rpc-fns.mjs — the function every RPC benchmark calls: inc(x) = x + 1, as the default export
// (sabre's createSyncFn loads it).
export default function inc(x) {
  return x + 1;
}
