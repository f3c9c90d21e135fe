// progress.mjs — one status line on stderr while the run goes: scenario i/N, task, elapsed.
//
// On a terminal the line is rewritten in place (\r); otherwise (CI logs, pipes) each update is
// its own line, printed only when the task changes, so logs stay short. `--quiet` makes it
// `{ enabled: false }`: nothing is written, the elapsed time is still kept (t0).
export class Progress {
  constructor(stream = process.stderr, { enabled = true } = {}) {
    this.stream = stream;
    this.enabled = enabled;
    this.tty = Boolean(stream.isTTY);
    this.t0 = performance.now();
    this.last = "";
    this.timer = undefined;
    this.state = { scenario: "", index: 0, total: 0, round: 0, rounds: 0, phase: "", task: "", taskStart: this.t0 };
  }

  elapsed(from = this.t0) {
    return ((performance.now() - from) / 1000).toFixed(1);
  }

  set(patch) {
    const changed = patch.task !== undefined && patch.task !== this.state.task;
    Object.assign(this.state, patch);
    if (changed) this.state.taskStart = performance.now();
    this.render(changed);
  }

  render(force = false) {
    if (!this.enabled) return;
    const s = this.state;
    const head = `[${s.index}/${s.total} ${s.scenario}] round ${s.round}/${s.rounds} ${s.phase} ${s.task}`;
    const text = this.tty
      ? `${head} (task ${this.elapsed(s.taskStart)}s, total ${this.elapsed()}s)`
      : `${head} (at ${this.elapsed()}s)`;
    if (this.tty) {
      this.stream.write(`\r\x1b[K${text}`);
    } else if (force) {
      this.stream.write(`${text}\n`);
    }
    this.last = text;
  }

  /** Refreshes the line while async tasks let the event loop turn (sync tasks block it). */
  start() {
    if (this.tty && this.enabled) this.timer = setInterval(() => this.render(), 500).unref();
  }

  /** Clears the status line before a report is printed on stdout. */
  clear() {
    if (this.tty && this.enabled) this.stream.write("\r\x1b[K");
  }

  stop() {
    clearInterval(this.timer);
    this.clear();
  }
}
