// mailbox-worker.mjs — the server side of the "mailbox" scenario: "serve" answers requests on a
// sabre Mailbox with the blocking serve(), "serveAsync" with serveAsync() (the thread's event
// loop keeps running), "comlink" exposes the same handler with comlink 4.4 over the
// MessagePort in workerData (its Node adapter). The handler adds two numbers of a small object.
import { parentPort, workerData } from "node:worker_threads";
import { Mailbox } from "sabre";

const { transport, mailbox, port } = workerData;
const add = ({ a, b }) => a + b;

if (transport === "comlink") {
  const Comlink = await import("comlink");
  const { default: nodeEndpoint } = await import("comlink/dist/esm/node-adapter.mjs");
  Comlink.expose({ add }, nodeEndpoint(port));
  parentPort.postMessage("ready");
} else {
  const box = Mailbox.from(mailbox);
  parentPort.postMessage("ready");
  try {
    if (transport === "serveAsync") await box.serveAsync(add);
    else box.serve(add);
  } catch (error) {
    if (error.name !== "ClosedError") throw error;
  }
}
