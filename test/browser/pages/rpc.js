// rpc.js — the main-thread side of the RPC browser tests (loaded by rpc.html as a module, with
// the prebuilt dist/browser/sabre.js and comlink's own ESM build). Each entry of
// `window.sabreTests` resolves to a plain result that test/browser/rpc.test.ts checks; the
// page uses only async forms, and checks that the blocking ones refuse to run here.
import * as Comlink from "/node_modules/comlink/dist/esm/comlink.mjs";
import * as sabre from "/dist/browser/sabre.js";

const { Region, Mailbox, createLink, comlinkEndpoint, serveSync, spawnWorker, syncFunction, wrap, wrapSync } = sabre;
const workerUrl = new URL("./rpc-worker.js", import.meta.url);

function thrown(f) {
  try {
    f();
    return { name: "no error" };
  } catch (error) {
    return { name: error?.name ?? String(error), message: String(error?.message ?? error) };
  }
}

window.sabreTests = {
  /** comlink over sabre to a Web Worker: get, apply, a thrown error, a proxy() callback, new. */
  async comlink() {
    const { port1, port2 } = createLink(Region.create());
    const spawned = spawnWorker(workerUrl, { type: "module", data: { mode: "comlink", end: port2 } });
    const ep = comlinkEndpoint(port1, { via: spawned.worker });
    const api = Comlink.wrap(ep);
    const value = await api.value;
    const sum = await api.add(20, 22);
    const error = await api.fail().then(() => ({ name: "no error" }), (e) => ({ name: e.name, message: e.message, stack: typeof e.stack }));
    const called = await api.callBack(Comlink.proxy((x) => x * 10), 4);
    const counter = await new api.Counter(1);
    const inc = await counter.inc();
    ep.close();
    await spawned.terminate();
    return { value, sum, error, called, inc };
  },

  /** The page may never block: the blocking RPC forms refuse with BlockingNotAllowedError. */
  refusals() {
    const region = Region.create();
    const { port1 } = createLink(region);
    return {
      syncFunction: thrown(() => syncFunction(port1, "f")),
      wrapSync: thrown(() => wrapSync(Mailbox.create(region))),
    };
  },

  /** The page serves functions (async, in its event loop); a Web Worker calls them synchronously. */
  async syncFromWorker() {
    const region = Region.create();
    const { port1, port2 } = createLink(region);
    const served = serveSync({ twice: async (x) => x * 2, fail: () => { throw new RangeError("no"); } }, port1);
    const mailbox = Mailbox.create(region);
    const spawned = spawnWorker(workerUrl, { type: "module", data: { mode: "sync-caller", end: port2, mailbox } });
    const result = await wrap(mailbox).report();
    await served;
    await spawned.terminate();
    return result;
  },
};
window.sabreReady = true;
