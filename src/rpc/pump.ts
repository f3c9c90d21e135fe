// pump.ts — the receive loop of an RPC end: takes messages from a source (a link's rx
// channel, a mailbox's requests) and hands each to a handler, spinning while the end is hot
// and parking when it is idle.
//
// Why spin: waking a parked thread costs more than a whole call (DESIGN.md, "Waiting": ~30 us
// to wake, ~3 us round trip when the async side polls first). So after each message, and
// after each request this end sends (`heat()`), the loop polls the source with `tryTake` for
// up to `spinMicros` while polling pays (AdaptiveSpin, src/pool/spin.ts: on a machine with
// more runnable threads than cores a poll takes the CPU from the thread it waits for, and
// the pump then parks at once, probing now and then), yielding a microtask between polls (the handlers' promise chains, comlink's
// replies among them, run there) and a macrotask every MACRO_YIELD_MS (timers and I/O of the
// thread still run while a stream of calls keeps the end hot). Idle past that, it parks in
// `take(signal)`; `heat()` aborts that park so a reply to a request just sent is polled for,
// not waited for.
//
// Contract: `handle` is called once per message, in order; a handler that returns a promise
// holds the loop until it settles (the side-port wait of comlink-endpoint.ts). The loop ends
// on stop() (quietly), or when the source throws (closed, peer gone, a decode error): `end`
// gets that error once. While a take is parked the thread's event loop stays alive (the
// region parker holds it), so an end keeps its worker running until stopped.
import { AbortError } from "../errors";
import { AdaptiveSpin } from "../pool/spin";

/** Where a pump takes its messages. */
export interface PumpSource<V> {
  /** One attempt: the next message, or none now (closed: none will ever come). */
  tryTake(): { ok: true; value: V } | { ok: false; closed: boolean };
  /** Waits for the next message; rejects with AbortError when `signal` aborts. */
  take(signal: AbortSignal): Promise<V>;
}

/** Default time an end keeps polling after its last activity, in microseconds. */
export const DEFAULT_SPIN_MICROS = 200;
/** A hot loop yields a macrotask at least this often (ms). */
const MACRO_YIELD_MS = 2;

const now = () => performance.now();

type Immediate = (callback: () => void) => unknown;
const setImmediateFn = (globalThis as { setImmediate?: Immediate }).setImmediate;

/** Resolves after one macrotask (setImmediate in Node; a MessageChannel hop in browsers,
 *  which setTimeout's 4 ms clamp would slow). */
function macrotask(): Promise<void> {
  if (setImmediateFn) return new Promise((resolve) => setImmediateFn(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

export class Pump<V> {
  #hotSince = 0;
  #hotUntil = 0;
  #parked: AbortController | undefined;
  #stopped = false;
  #running = false;
  readonly #spin: AdaptiveSpin;

  constructor(
    private readonly source: PumpSource<V>,
    private readonly handle: (value: V) => void | Promise<void>,
    private readonly end: (error: unknown) => void,
    spinMicros = DEFAULT_SPIN_MICROS,
  ) {
    this.#spin = new AdaptiveSpin(spinMicros);
  }

  /** Opens a polling window (as long as polling pays). */
  #warm(t = now()): void {
    this.#hotSince = t;
    this.#hotUntil = t + this.#spin.budget() / 1000;
  }

  /** A message came: a polling window that was open caught it. */
  #caught(): void {
    const t = now();
    if (this.#hotUntil > this.#hotSince && t <= this.#hotUntil) this.#spin.record(true, (t - this.#hotSince) * 1000);
    this.#warm(t);
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    this.#warm();
    void this.#run();
  }

  /** Something is expected soon (a request was sent): poll instead of parking. */
  heat(): void {
    if (now() > this.#hotUntil) this.#warm();
    const parked = this.#parked;
    if (parked) {
      this.#parked = undefined;
      parked.abort();
    }
  }

  /** Ends the loop; a parked take is aborted. */
  stop(): void {
    this.#stopped = true;
    this.#parked?.abort();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async #run(): Promise<void> {
    const { source, handle } = this;
    let lastMacro = now();
    let burst = 0;
    try {
      while (!this.#stopped) {
        const r = source.tryTake();
        if (r.ok) {
          const p = handle(r.value);
          if (p) await p;
          if ((++burst & 63) === 0) await null; // let replies of the handled messages go out
          this.#caught();
          continue;
        }
        if (r.closed) {
          // drained and closed: take() says how (ClosedError, PeerGoneError)
          await source.take(new AbortController().signal);
          continue;
        }
        burst = 0;
        const t = now();
        if (t < this.#hotUntil) {
          if (t - lastMacro >= MACRO_YIELD_MS) {
            await macrotask();
            lastMacro = now();
          } else {
            await null;
          }
          continue;
        }
        if (this.#hotUntil > this.#hotSince) {
          this.#spin.record(false, (this.#hotUntil - this.#hotSince) * 1000); // the window closed empty
          this.#hotSince = this.#hotUntil;
        }
        const parked = new AbortController();
        this.#parked = parked;
        let value: V;
        try {
          value = await source.take(parked.signal);
        } catch (error) {
          if (error instanceof AbortError && parked.signal.aborted) continue; // heat() or stop()
          throw error;
        } finally {
          if (this.#parked === parked) this.#parked = undefined;
          lastMacro = now();
        }
        const p = handle(value);
        if (p) await p;
        this.#warm();
      }
    } catch (error) {
      if (!this.#stopped) this.end(error);
    } finally {
      this.#running = false;
    }
  }
}
