// demo.js — the main thread of the sabre browser demo (demo/index.html).
//
// One region holds two RingBuffers (work -> pool, results -> page) and a block of per-worker
// counters. The page produces work items (1, 2, 3, …) and consumes results without ever
// blocking: pushMany/popMany move batches when they can, and when neither moves anything the
// page awaits results.popAsync (Atomics.waitAsync underneath). The workers (worker.js) block
// in pop/push, which workers may do. On Stop the work ring is closed, the workers drain it and
// exit, and the page checks that every item came back exactly once (count and sum).
//
// A page served without the cross-origin isolation headers cannot share memory at all: it
// shows which headers are missing instead of failing later with a cryptic error.
import {
  ClosedError, Region, RingBuffer, TimeoutError, crossOriginIsolationProblem, nativeWaitAsync,
} from "../dist/browser/sabre.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const BATCH = 256;
const RING_CAPACITY = 4096;

/** What tests and curious users can read: window.demoState. */
const state = (window.demoState = { isolated: false, running: false, rate: 0, received: 0, workers: 0, error: undefined });

async function showIsolationError(problem) {
  // Name exactly which headers this page's own response lacked (same-origin: all readable).
  const rows = [];
  try {
    const res = await fetch(location.href, { method: "HEAD", cache: "no-store" });
    for (const [name, want] of [["Cross-Origin-Opener-Policy", "same-origin"], ["Cross-Origin-Embedder-Policy", "require-corp"]]) {
      const got = res.headers.get(name);
      rows.push(`<li><code>${name}: ${want}</code> — ${got ? `this page was sent <code>${escapeHtml(got)}</code>` : "<b>missing</b>"}</li>`);
    }
  } catch {
    rows.push("<li>(could not re-read this page's headers)</li>");
  }
  const box = $("error");
  box.innerHTML =
    "<h2>This page is not cross-origin isolated, so it cannot share memory with workers</h2>" +
    "<p>Browsers provide <code>SharedArrayBuffer</code> and shared <code>WebAssembly.Memory</code> only to " +
    "cross-origin isolated pages. The server must send these headers with the page and its worker scripts:</p>" +
    `<ul>${rows.join("")}</ul><p>sabre says: ${escapeHtml(problem)}</p>`;
  box.style.display = "block";
  $("live").style.opacity = "0.35";
  $("bars").parentElement.style.display = "none";
  $("nworkers").textContent = "several";
  $("toggle").disabled = true;
  state.error = problem;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

const yieldToPage = () =>
  globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((r) => setTimeout(r, 0));

/** One run of the pipeline: start workers, pump until stopped, drain and verify. */
class Run {
  constructor(region, workers, cost) {
    this.region = region;
    this.work = RingBuffer.create(region, { capacity: RING_CAPACITY });
    this.results = RingBuffer.create(region, { capacity: RING_CAPACITY });
    this.stats = region.alloc(64 * 4);
    this.counters = new Int32Array(region.memory.buffer, this.stats, 64);
    // batch buffers on the region's own memory: pushMany/popMany read and write them in place
    this.sendOffset = region.alloc(BATCH * 4);
    this.recvOffset = region.alloc(BATCH * 4);
    this.send = new Int32Array(region.memory.buffer, this.sendOffset, BATCH);
    this.recv = new Int32Array(region.memory.buffer, this.recvOffset, BATCH);
    this.next = 1;
    this.sent = 0;
    this.sentSum = 0;
    this.received = 0;
    this.receivedSum = 0;
    this.running = true;
    this.workers = [];
    this.exited = [];
    for (let index = 0; index < workers; index++) {
      const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
      this.exited.push(new Promise((resolve, reject) => {
        w.onmessage = ({ data }) => data.done && resolve();
        w.onerror = (e) => reject(new Error(`worker ${index}: ${e.message}`));
      }));
      w.postMessage({ region: region.handle, work: this.work.handle, results: this.results.handle, stats: this.stats, index, cost });
      this.workers.push(w);
    }
    this.pumping = this.pump();
  }

  take(n, buf) {
    for (let i = 0; i < n; i++) this.receivedSum += buf[i];
    this.received += n;
  }

  async pump() {
    while (this.running) {
      const t0 = performance.now();
      let moved = 0;
      // move batches for up to ~8 ms, then give the page a turn (rendering, input)
      while (performance.now() - t0 < 8) {
        for (let i = 0; i < BATCH; i++) this.send[i] = (this.next + i) & 0x7fffffff || 1;
        const n = this.work.pushMany(this.send);
        for (let i = 0; i < n; i++) this.sentSum += this.send[i];
        this.next += n;
        this.sent += n;
        const m = this.results.popMany(this.recv);
        this.take(m, this.recv);
        moved += n + m;
        if (n === 0 && m === 0) break;
      }
      if (moved > 0) {
        await yieldToPage();
        continue;
      }
      // nothing moved: the pool is busy; park asynchronously until a result arrives
      try {
        const v = await this.results.popAsync({ timeout: 100 });
        this.receivedSum += v;
        this.received++;
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
      }
    }
  }

  /** Stops producing, lets the pool drain and exit, and checks every item came back once. */
  async stop() {
    this.running = false;
    await this.pumping;
    this.work.close();
    while (this.received < this.sent) {
      const m = this.results.popMany(this.recv);
      if (m > 0) this.take(m, this.recv);
      else {
        try {
          const v = await this.results.popAsync({ timeout: 2000 });
          this.receivedSum += v;
          this.received++;
        } catch (error) {
          if (error instanceof TimeoutError) break; // reported below as lost
          throw error;
        }
      }
    }
    await Promise.all(this.exited);
    for (const w of this.workers) w.terminate();
    const ok = this.received === this.sent && this.receivedSum === this.sentSum;
    for (const offset of [this.stats, this.sendOffset, this.recvOffset]) this.region.free(offset);
    this.work.free();
    this.results.free();
    return { ok, sent: this.sent, received: this.received };
  }
}

async function main() {
  const problem = crossOriginIsolationProblem();
  if (problem) return showIsolationError(problem);
  state.isolated = true;

  const region = Region.create({ size: 1 << 20 });
  const maxWorkers = 8;
  const defaultWorkers = Math.min(maxWorkers, Math.max(1, Number(params.get("workers")) || Math.min(4, navigator.hardwareConcurrency || 2)));
  for (let n = 1; n <= maxWorkers; n++) $("workers").add(new Option(String(n), String(n), false, n === defaultWorkers));
  $("wait").textContent = nativeWaitAsync ? "Atomics.waitAsync" : "polling";

  let run;
  const start = () => {
    const workers = Number($("workers").value);
    $("nworkers").textContent = String(workers);
    $("bars").innerHTML = Array.from({ length: workers }, (_, i) =>
      `<div class="bar"><label>worker ${i + 1}</label><div class="track"><div class="fill" id="fill${i}"></div></div><output id="out${i}">0/s</output></div>`).join("");
    $("check").textContent = "";
    run = new Run(region, workers, Number($("cost").value));
    state.running = true;
    state.workers = workers;
    $("toggle").textContent = "Stop";
  };
  const stop = async () => {
    const current = run;
    run = undefined;
    state.running = false;
    $("toggle").disabled = true;
    const r = await current.stop();
    $("check").textContent = r.ok
      ? `✓ verified: all ${r.received.toLocaleString()} items came back exactly once`
      : `✗ ${r.sent - r.received} of ${r.sent} items missing, or a wrong checksum`;
    state.verified = r;
    $("toggle").textContent = "Start";
    $("toggle").disabled = false;
  };
  $("toggle").onclick = () => (run ? stop() : start());
  $("workers").onchange = $("cost").onchange = async () => {
    if (run) await stop();
    start();
  };

  // live figures: throughput over the last ~0.5 s, smoothed; per-worker rates; frame rate
  let last = { t: performance.now(), received: 0, perWorker: [] };
  let frames = 0;
  let rate = 0;
  const countFrame = () => {
    frames++;
    requestAnimationFrame(countFrame);
  };
  requestAnimationFrame(countFrame);
  setInterval(() => {
    const now = performance.now();
    const dt = (now - last.t) / 1000;
    $("fps").textContent = String(Math.round(frames / dt));
    frames = 0;
    if (!run) {
      last = { t: now, received: 0, perWorker: [] };
      return;
    }
    const instant = (run.received - last.received) / dt;
    rate = last.received === 0 && rate === 0 ? instant : 0.6 * instant + 0.4 * rate;
    state.rate = rate;
    state.received = run.received;
    $("rate").textContent = Math.round(rate).toLocaleString();
    $("total").textContent = run.received.toLocaleString();
    $("depth").textContent = run.work.length.toLocaleString();
    const perWorker = Array.from({ length: state.workers }, (_, i) => Atomics.load(run.counters, i));
    const rates = perWorker.map((c, i) => (c - (last.perWorker[i] ?? 0)) / dt);
    const top = Math.max(1, ...rates);
    rates.forEach((r, i) => {
      $(`fill${i}`).style.width = `${(100 * r) / top}%`;
      $(`out${i}`).textContent = `${Math.round(r).toLocaleString()}/s`;
    });
    last = { t: now, received: run.received, perWorker };
  }, 500);

  start();
}

main().catch((error) => {
  state.error = `${error?.name}: ${error?.message}`;
  const box = $("error");
  box.innerHTML = `<h2>The demo failed</h2><p>${escapeHtml(state.error)}</p>`;
  box.style.display = "block";
  throw error;
});
