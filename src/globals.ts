// globals.ts — types of platform globals that sabre's public types mention but a consumer's
// TypeScript lib may not declare: a Node project without the DOM lib has no Web `Worker`, and
// with @types/node 20 no `WebAssembly` namespace either. Each type here is the real global
// where the consumer's environment declares it (the condition is evaluated in the consumer's
// compilation, against its own `globalThis`) and a structural stand-in where it does not, so
// sabre's .d.ts compiles under any lib and adds no global of its own. Type-only: nothing here
// exists at run time.

/** `WebAssembly.Memory` where the environment declares it, else the part of it sabre uses. */
export type WasmMemory = typeof globalThis extends {
  /** The environment's WebAssembly namespace. */
  WebAssembly: {
    /** Its Memory class. */
    Memory: {
      /** A Memory instance's type. */
      prototype: infer M;
    };
  };
}
  ? M
  : {
    /** The memory's bytes. */
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    /** Grows the memory by `delta` pages (never called by sabre: regions do not grow). */
    grow(delta: number): number;
  };

/** The Web `Worker` where the environment declares it (DOM or WebWorker lib), else the part
 *  of it sabre uses. */
export type WebWorker = typeof globalThis extends {
  /** The environment's Worker class. */
  Worker: {
    /** A Worker instance's type. */
    prototype: infer W;
  };
}
  ? W
  : {
    /** Posts a message to the worker. */
    postMessage(message: unknown, transfer?: unknown[]): void;
    /** Stops the worker at once. */
    terminate(): void;
  };
