// selectable.ts — Selectable: what `select` (select.ts) needs of a case, and nothing more
// (crossbeam-channel's SelectHandle). A Channel gives one per receive case and per send case
// (Channel.selectRecv / selectSend); anything else that can complete a receive with a value or
// with "closed" (a Mailbox receive) fits the same shape.
//
//   attempt()     one try to complete the case, as a step machine (src/wait/steps.ts) on the
//                 case's own host: never waits, but for a short grace (a try's) or for a peer
//                 committed to finish (the rest of a claimed message). Completes the case or
//                 changes nothing. May throw the case's error (a send case on a closed channel).
//   ready()       after a failed attempt: whether the case could complete now although the
//                 attempt failed ("busy": another agent holds what it needs). Events do not
//                 announce the end of such a hold, so select then waits in bounded slices.
//   events        the event word of the case's shared memory: bumped on every change that may
//                 make a case ready (a message begun or claimed, a slot freed, a close), while
//                 at least one waiter is registered (register / unregister, as step machines).
//                 Cases of one memory share one EventSource object (select registers once).
//
// Select registers on every event source of its cases, reads the words, runs a round of
// attempts, and parks while the words are unchanged: a change after the read is never missed.
import type { StepHost, Steps } from "../wait/steps";

/**
 * The event word a select case waits on: a 32-bit word in a region's shared memory that is
 * bumped on every change that may make a case ready (a message begun or claimed, a slot
 * freed, a close), while at least one waiter is registered. Cases of one memory share one
 * EventSource object, so `select` registers on it once. Part of the {@link Selectable} seam;
 * application code does not call it.
 */
export interface EventSource {
  /** The memory the word lives in, with its core and parker (a Region). */
  readonly host: StepHost;
  /** Byte address of the event word. */
  readonly word: number;
  /** Registers an event waiter (the notifiers bump the word only while one is registered). */
  register(): Steps<void>;
  /** Removes a waiter added by `register` (the word is bumped only while one is registered). */
  unregister(): Steps<void>;
}

/** What one attempt gave: completed with a value, completed with "closed", or not now. */
export type Attempt<V> =
  | {
    /** The case completed. */
    readonly done: true;
    /** It completed with a value (not with "closed"). */
    readonly closed: false;
    /** The value received (`undefined` for a send case). */
    readonly value: V;
  }
  | {
    /** The case completed. */
    readonly done: true;
    /** It completed with "closed": the source is closed (and, for a receive, drained). */
    readonly closed: true;
  }
  | {
    /** The case did not complete now; nothing changed. */
    readonly done: false;
  };

/**
 * One case of a `select`, as `select` and `selectAsync` drive it: what a receive or send case
 * needs of its source and nothing more (crossbeam-channel's SelectHandle). A Channel gives one
 * per receive case ({@link RecvSelectSource.selectRecv}) and per send case
 * ({@link SendSelectSource.selectSend}); anything else that can complete a receive with a
 * value or with "closed" (a Mailbox receive) fits the same shape. Its methods are step
 * machines run on the case's own region; application code passes sources to
 * `recvCase`/`sendCase` and does not call them.
 *
 * @typeParam V - the value a completed case gives (`undefined` for a send case).
 */
export interface Selectable<V = unknown> {
  /** The event word of the case's shared memory; `select` registers on it and parks while it
   *  is unchanged, so a change after it was read is never missed. */
  readonly events: EventSource;
  /** One try to complete the case: never waits (but for a try's short grace, or for a peer
   *  committed to finish); completes the case or changes nothing. May throw the case's error
   *  (a send case on a closed channel). */
  attempt(): Steps<Attempt<V>>;
  /** After a failed attempt: whether the case could complete now although the attempt failed
   *  (another agent holds what it needs); `select` then waits in bounded slices. */
  ready(): Steps<boolean>;
}

/** Something a receive case can wait on (a Channel; a Mailbox receive): what `recvCase`
 *  takes. */
export interface RecvSelectSource<V> {
  /** A receive case; `async`: for selectAsync (its holds must not be this thread's agent's). */
  selectRecv(what: string, async: boolean): Selectable<V>;
}

/** Something a send case can send `value` on (a Channel): what `sendCase` takes. */
export interface SendSelectSource<V> {
  /** A send case of `value`, encoded now (codec and size errors come first). */
  selectSend(value: V, what: string, async: boolean): Selectable<undefined>;
}
