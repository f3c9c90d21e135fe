// mailbox.mjs — the README's Mailbox example: a worker serves requests on its mailbox (the
// handler's result is the reply, a thrown error comes back as RemoteError), and the main
// thread sends it plain messages, a blocking request, concurrent async requests, and one
// request that fails; then it closes the mailbox, which ends the worker's serve loop.
// Run: node examples/mailbox.mjs   (after `npm install`, which builds the package)
import { isMainThread } from "node:worker_threads";
import { Region, Mailbox } from "sabre";
import { startWorker, workerInput } from "sabre/node";

if (isMainThread) {
  const region = Region.create({ size: 1 << 20 });
  const calc = Mailbox.create(region, { name: "calc" });
  const { exited } = startWorker(new URL(import.meta.url), { data: { calc: calc.handle } });

  calc.send({ op: "log", text: "hello" });                      // a plain message (no reply)
  const six = calc.request({ op: "mul", a: 2, b: 3 }, { timeout: 10_000 }); // blocking request
  const [sq, sum] = await Promise.all([                          // two requests in flight at once
    calc.requestAsync({ op: "mul", a: 7, b: 7 }),
    calc.requestAsync({ op: "add", a: 1, b: 2 }),
  ]);
  let failed;
  try {
    await calc.requestAsync({ op: "div", a: 1, b: 0 });
  } catch (error) {
    failed = `${error.name}(${error.remoteName}: ${error.remoteMessage})`;
  }
  calc.close();                                                  // ends the worker's serve loop
  await exited;
  console.log(`six=${six} sq=${sq} sum=${sum} failed=${failed}`);
} else {
  const calc = Mailbox.from(workerInput().calc);
  // Requests are served in order; plain messages wait, in order, for receive().
  calc.serve(({ op, a, b }) => {
    if (op === "mul") return a * b;
    if (op === "add") return a + b;
    throw new RangeError(`unknown op ${op}`);
  });
  const log = [...calc];                                         // drain plain messages after close
  if (log[0]?.text !== "hello") throw new Error("lost the log message");
}
