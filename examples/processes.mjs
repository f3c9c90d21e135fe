// processes.mjs — sabre between processes: a region, channels and a mutex shared with two child
// processes (spawnProcess); a child killed with SIGKILL fails the parent's wait on its channel
// with PeerGoneError; an unrelated `node` command attaches to a named region by name.
// Needs the native addon (built by npm install). Run: node examples/processes.mjs
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  Channel, Mutex, PeerGoneError, attachProcessData, createRegion, decodeHandles, encodeHandles, removeRegion, spawnProcess,
} from "sabre/node";

const role = process.argv[2];

if (role === "square") {
  // a child started by spawnProcess: its data arrives attached (regions mapped, handles live)
  const { jobs, results, lock, region, at } = await attachProcessData();
  const counter = new Int32Array(region.memory.buffer, at, 1);
  let sum = 0;
  for (;;) {
    let n;
    try {
      n = jobs.recv();
    } catch (error) {
      if (error.name === "ClosedError") break;
      throw error;
    }
    sum += n * n;
    const guard = lock.lock();
    counter[0]++; // a plain increment: exact because of the lock
    guard.unlock();
  }
  results.send(sum);
} else if (role === "block") {
  const { inbox } = await attachProcessData();
  process.stdout.write("ready\n");
  inbox.recv(); // killed here, before it ever replies on outbox
} else if (role === "by-name") {
  // an unrelated process: it gets text naming a named region and attaches by name
  const { greetings } = decodeHandles(process.argv[3]);
  greetings.send(`hello from pid ${process.pid}`);
} else {
  const region = createRegion({ size: 1 << 20 }); // anonymous: a sealed memfd children inherit
  const jobs = Channel.create(region, { capacity: 16 });
  const results = Channel.create(region, { capacity: 16 });
  const lock = Mutex.create(region);
  const at = region.alloc(4);
  const counter = new Int32Array(region.memory.buffer, at, 1);
  const children = [1, 2].map(() =>
    spawnProcess(new URL(import.meta.url), { argv: ["square"], data: { jobs, results, lock, region, at } }));
  for (let n = 1; n <= 100; n++) jobs.send(n);
  jobs.close();
  let sum = 0;
  for (let i = 0; i < children.length; i++) sum += results.recv({ timeout: 10_000 });
  await Promise.all(children.map((c) => c.exited));

  // A child killed with SIGKILL while this process waits for its reply: PeerGoneError, not a
  // hang (a blocking recv learns it too, within the liveness interval).
  const inbox = Channel.create(region);
  const outbox = Channel.create(region);
  const doomed = spawnProcess(new URL(import.meta.url), { argv: ["block"], data: { inbox, outbox }, stdio: "pipe", onCrash: () => {} });
  await new Promise((resolve) => doomed.process.stdout.once("data", resolve));
  const waiting = outbox.recvAsync({ timeout: 10_000 });
  doomed.process.kill("SIGKILL");
  let crash = "none";
  try {
    await waiting;
  } catch (error) {
    crash = error instanceof PeerGoneError ? "PeerGoneError" : error.name;
  }

  // A named region (/dev/shm/sabre-<name>, mode 0600): any process of this user attaches by name.
  const name = `example-${process.pid}`;
  const named = createRegion({ name, size: 1 << 16 });
  const greetings = Channel.create(named, { capacity: 1 });
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), "by-name", encodeHandles({ greetings })]);
  const greeting = greetings.recv({ timeout: 10_000 });
  removeRegion(name); // the name goes; mappings stay valid
  console.log(`sum=${sum} count=${counter[0]} crash=${crash} byName=${greeting.startsWith("hello from pid")}`);
}
